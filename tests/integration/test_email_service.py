"""ListSentEmails and GetSentEmail over real gRPC against the real emailservice, with
emails made by publishing real order events: filters, pages newest first, and the
status code of every request it refuses."""
import grpc
import pytest

from service_runtime import topology
from shop.email.v1 import email_pb2, email_pb2_grpc
from tests.support.email_builders import (
    OrderStatus, cancelled, new_recipient, order, placed, status_changed, wait_for_emails,
)
from tests.support.events import publish

Kind = email_pb2.EmailKind


@pytest.fixture
def emails(email_channel):
    return email_pb2_grpc.EmailServiceStub(email_channel)


@pytest.fixture(scope="module")
def customer(rabbitmq, email_channel):
    """Five emails to one customer about two orders: placed, paid, shipped; placed, cancelled."""
    stub = email_pb2_grpc.EmailServiceStub(email_channel)
    recipient = new_recipient()
    first, second = order(recipient), order(recipient)
    events = (placed(first), status_changed(first, OrderStatus.ORDER_STATUS_PAID),
              status_changed(first, OrderStatus.ORDER_STATUS_SHIPPED, tracking_id="CK473124829US"),
              placed(second), cancelled(second))
    for count, event in enumerate(events, start=1):
        publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)
        wait_for_emails(stub, recipient, count)  # one at a time, so they are sent in this order
    return recipient, first, second


def list_emails(stub, **fields):
    return stub.ListSentEmails(email_pb2.ListSentEmailsRequest(**fields), timeout=5)


def refusal(call, request):
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=5)
    return info.value.code(), info.value.details()


def test_a_recipients_emails_come_newest_first_whatever_the_case_of_the_address(emails, customer):
    recipient, first, second = customer
    reply = list_emails(emails, recipient=recipient.upper())
    assert reply.total_size == 5 and reply.next_page_token == ""
    assert [(e.order_id, e.kind) for e in reply.emails] == [
        (second.id, Kind.EMAIL_KIND_CANCELLED), (second.id, Kind.EMAIL_KIND_ORDER_RECEIVED),
        (first.id, Kind.EMAIL_KIND_SHIPPED), (first.id, Kind.EMAIL_KIND_PAYMENT_CONFIRMED),
        (first.id, Kind.EMAIL_KIND_ORDER_RECEIVED),
    ]
    times = [e.sent_time.ToDatetime() for e in reply.emails]
    assert times == sorted(times, reverse=True)


def test_pages_walk_through_every_email_once(emails, customer):
    recipient = customer[0]
    seen, token, pages = [], "", 0
    while True:
        reply = list_emails(emails, recipient=recipient, page_size=2, page_token=token)
        assert reply.total_size == 5 and len(reply.emails) <= 2
        seen += [e.id for e in reply.emails]
        pages, token = pages + 1, reply.next_page_token
        if not token:
            break
    assert pages == 3 and seen == [e.id for e in list_emails(emails, recipient=recipient).emails]


def test_emails_can_be_listed_by_order_and_by_kind(emails, customer):
    recipient, first, second = customer
    by_order = list_emails(emails, order_id=first.id)
    assert by_order.total_size == 3 and {e.order_id for e in by_order.emails} == {first.id}
    by_kind = list_emails(emails, recipient=recipient, kind=Kind.EMAIL_KIND_ORDER_RECEIVED)
    assert by_kind.total_size == 2 and {e.order_id for e in by_kind.emails} == {first.id, second.id}
    both = list_emails(emails, order_id=second.id, kind=Kind.EMAIL_KIND_CANCELLED)
    assert [e.kind for e in both.emails] == [Kind.EMAIL_KIND_CANCELLED]


def test_everyones_emails_are_listed_without_a_recipient(emails, customer):
    everyone = list_emails(emails, page_size=100)
    recipients = {e.recipient for e in everyone.emails}
    assert everyone.total_size >= 5 and len(everyone.emails) == min(everyone.total_size, 100)
    assert customer[0] in recipients or everyone.total_size > 100
    times = [e.sent_time.ToDatetime() for e in everyone.emails]
    assert times == sorted(times, reverse=True)


def test_an_address_with_no_emails_has_an_empty_list(emails):
    reply = list_emails(emails, recipient=new_recipient())
    assert list(reply.emails) == [] and reply.total_size == 0 and reply.next_page_token == ""


def test_one_email_is_got_by_its_id_with_both_bodies(emails, customer):
    listed = list_emails(emails, recipient=customer[0], kind=Kind.EMAIL_KIND_SHIPPED).emails[0]
    got = emails.GetSentEmail(email_pb2.GetSentEmailRequest(id=listed.id), timeout=5).email
    assert got == listed
    assert "CK473124829US" in got.text_body and "CK473124829US" in got.html_body


@pytest.mark.parametrize("request_fields, complaint", [
    ({"page_size": 101}, "page_size"),
    ({"page_size": -1}, "page_size"),
    ({"page_token": "not-a-token"}, "page_token"),
    ({"kind": 99}, "kind"),
    ({"recipient": "x" * 255}, "recipient"),
])
def test_bad_list_requests_are_invalid_arguments(emails, request_fields, complaint):
    code, details = refusal(emails.ListSentEmails, email_pb2.ListSentEmailsRequest(**request_fields))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and complaint in details


def test_a_page_token_only_goes_with_the_filters_it_was_issued_for(emails, customer):
    token = list_emails(emails, recipient=customer[0], page_size=1).next_page_token
    code, details = refusal(emails.ListSentEmails, email_pb2.ListSentEmailsRequest(
        recipient=customer[0], page_size=1, page_token=token, kind=Kind.EMAIL_KIND_SHIPPED))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "other filters" in details


@pytest.mark.parametrize("email_id", ["4f0e9a3c-1111-4222-8333-944455556666", "not-an-id"])
def test_an_unknown_id_is_not_found(emails, email_id):
    code, details = refusal(emails.GetSentEmail, email_pb2.GetSentEmailRequest(id=email_id))
    assert code == grpc.StatusCode.NOT_FOUND and email_id in details


def test_an_empty_id_is_an_invalid_argument(emails):
    code, _ = refusal(emails.GetSentEmail, email_pb2.GetSentEmailRequest(id=""))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
