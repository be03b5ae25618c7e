"""Order events on the real checkout.events exchange in, emails out: recorded in
PostgreSQL (seen through the real gRPC API) and written as .eml files by the real
emailservice process. One email per event whatever the redeliveries; events that call
for no email are acked; malformed ones end in the dead-letter queue without blocking
the queue."""
import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from emailservice.consumer import notice_for
from emailservice.mailer import Mailer, RetryPolicy
from emailservice.rendering import Renderer
from emailservice.repository import EmailRepository
from service_runtime import db, topology
from shop.email.v1 import email_pb2, email_pb2_grpc
from tests.support.email_builders import (
    OrderStatus, cancelled, eml_files_to, metric, order, parts, placed, sent_to, status_changed, wait_for_emails,
    wait_for_metric,
)
from tests.support.events import drain, publish, publish_raw
from tests.support.services import wait_until

DLQ = "email.checkout-events.dlq"
Kind = email_pb2.EmailKind


@pytest.fixture
def emails(email_channel):
    return email_pb2_grpc.EmailServiceStub(email_channel)


class DeadLetters:
    """What has reached the dead-letter queue, gathered across drains."""

    def __init__(self, url: str):
        self._url = url
        self.by_id: dict[str, object] = {}

    def holds(self, *message_ids: str) -> bool:
        for message in drain(self._url, DLQ):
            self.by_id[message.message_id] = message
        return all(m in self.by_id for m in message_ids)


@pytest.mark.parametrize("make_event, kind, subject", [
    (lambda o: placed(o), Kind.EMAIL_KIND_ORDER_RECEIVED, "We've received your order {id}"),
    (lambda o: status_changed(o, OrderStatus.ORDER_STATUS_PAID), Kind.EMAIL_KIND_PAYMENT_CONFIRMED,
     "Payment confirmed for order {id}"),
    (lambda o: status_changed(o, OrderStatus.ORDER_STATUS_PAYMENT_FAILED,
                              status_reason="The card has insufficient funds."),
     Kind.EMAIL_KIND_PAYMENT_FAILED, "We couldn't take payment for order {id}"),
    (lambda o: status_changed(o, OrderStatus.ORDER_STATUS_SHIPPED, previous=OrderStatus.ORDER_STATUS_PAID,
                              tracking_id="CK473124829US"), Kind.EMAIL_KIND_SHIPPED, "Your order {id} is on its way"),
    (lambda o: cancelled(o, reason="Ordered the wrong size"), Kind.EMAIL_KIND_CANCELLED,
     "Your order {id} has been cancelled"),
    (lambda o: status_changed(o, OrderStatus.ORDER_STATUS_REFUNDED, previous=OrderStatus.ORDER_STATUS_CANCELLED),
     Kind.EMAIL_KIND_REFUNDED, "Your refund for order {id}"),
])
def test_each_order_event_is_mailed_recorded_and_written_as_an_eml_file(
        rabbitmq, emails, mail_dir, make_event, kind, subject):
    the_order = order(name="Ada Lovelace")
    event = make_event(the_order)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)

    (email,) = wait_for_emails(emails, the_order.email, 1)
    assert email.kind == kind and email.subject == subject.format(id=the_order.id)
    assert email.order_id == the_order.id and email.event_id == event.event_id
    assert email.recipient == the_order.email and email.sender == "The Shop <orders@shop.example>"
    assert email.message_id == f"<{email.id}@shop.example>" and email.sent_time.seconds > 0
    assert "Hello Ada Lovelace," in email.text_body and "$47.99" in email.text_body
    assert "Stoneware Mug" in email.html_body and "$47.99" in email.html_body

    ((path, message),) = eml_files_to(mail_dir, the_order.email)
    assert path.name.endswith(f"-{email.id}.eml")
    assert message["Message-ID"] == email.message_id and message["Subject"] == email.subject
    assert message["From"] == email.sender and message["Date"]
    text, html = parts(message)
    assert text == email.text_body and html == email.html_body


def test_an_order_journey_gets_its_emails_newest_first(rabbitmq, emails):
    the_order = order()
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, placed(the_order))
    wait_for_emails(emails, the_order.email, 1)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, status_changed(the_order, OrderStatus.ORDER_STATUS_PAID))
    wait_for_emails(emails, the_order.email, 2)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS,
            status_changed(the_order, OrderStatus.ORDER_STATUS_SHIPPED, tracking_id="EK123456785US"))
    got = wait_for_emails(emails, the_order.email, 3)
    assert [e.kind for e in got] == [Kind.EMAIL_KIND_SHIPPED, Kind.EMAIL_KIND_PAYMENT_CONFIRMED,
                                     Kind.EMAIL_KIND_ORDER_RECEIVED]
    assert "EK123456785US" in got[0].text_body


def test_the_same_event_published_twice_is_mailed_once(rabbitmq, emails, email_service, mail_dir):
    duplicates = metric(email_service, "email_outcomes_total", outcome="duplicate")
    event = placed()
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event, event)
    wait_for_emails(emails, event.order.email, 1)
    wait_for_metric(email_service, "email_outcomes_total", duplicates + 1, outcome="duplicate")
    # And once more, long after the first was sent.
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)
    wait_for_metric(email_service, "email_outcomes_total", duplicates + 2, outcome="duplicate")
    assert len(sent_to(emails, event.order.email)) == 1
    assert len(eml_files_to(mail_dir, event.order.email)) == 1


def test_unknown_types_and_statuses_without_an_email_are_acked_and_send_nothing(rabbitmq, emails, email_service):
    queue = "email.checkout-events"
    ignored_type = "shop.checkout.v1.OrderArchived"
    # Unhandled types are counted under "other": the metric's labels stay bounded.
    ignored = metric(email_service, "messaging_messages_total", queue=queue, type="other", outcome="ignored")
    no_email = metric(email_service, "email_outcomes_total", outcome="no_email")
    the_order = order()
    unknown_type_id = str(uuid.uuid4())
    publish_raw(rabbitmq.url, topology.CHECKOUT_EVENTS, placed(the_order).SerializeToString(),
                content_type="application/x-protobuf", type=ignored_type, message_id=unknown_type_id)
    no_email_events = [status_changed(the_order, OrderStatus.ORDER_STATUS_CANCELLED),
                       status_changed(the_order, OrderStatus.ORDER_STATUS_PLACED)]
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, *no_email_events)

    wait_for_metric(email_service, "messaging_messages_total", ignored + 1, queue=queue, type="other",
                    outcome="ignored")
    wait_for_metric(email_service, "email_outcomes_total", no_email + 2, outcome="no_email")
    assert sent_to(emails, the_order.email) == []
    dead = DeadLetters(rabbitmq.url)
    dead.holds()
    assert not {unknown_type_id, *(e.event_id for e in no_email_events)} & set(dead.by_id)


def test_malformed_messages_are_dead_lettered_and_the_queue_keeps_flowing(rabbitmq, emails):
    garbage_id, json_id = str(uuid.uuid4()), str(uuid.uuid4())
    wrong_content_type = placed()
    publish_raw(rabbitmq.url, topology.CHECKOUT_EVENTS, b"\xff\xfe not a protobuf",
                content_type="application/x-protobuf", type="shop.checkout.v1.OrderPlaced", message_id=garbage_id)
    publish_raw(rabbitmq.url, topology.CHECKOUT_EVENTS, wrong_content_type.SerializeToString(),
                content_type="application/json", type="shop.checkout.v1.OrderPlaced", message_id=json_id)
    after = placed()
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, after)

    wait_for_emails(emails, after.order.email, 1)
    dead = DeadLetters(rabbitmq.url)
    wait_until(lambda: dead.holds(garbage_id, json_id), 30, "both malformed messages dead-lettered")
    assert dead.by_id[garbage_id].body == b"\xff\xfe not a protobuf"
    assert sent_to(emails, wrong_content_type.order.email) == []


def test_an_event_no_email_can_be_made_of_ends_in_the_dead_letter_queue(rabbitmq, emails):
    no_address = placed(order(email="not an address"))
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, no_address)
    dead = DeadLetters(rabbitmq.url)
    wait_until(lambda: dead.holds(no_address.event_id), 60, "the event dead-lettered after its redeliveries")
    after = placed()
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, after)
    wait_for_emails(emails, after.order.email, 1)


def test_an_email_whose_handler_died_before_sending_it_is_sent_once_by_the_retry_worker(
        postgres, rabbitmq, emails, email_service, mail_dir):
    # The state a crash between recording and delivering leaves: the event claimed, the
    # email pending, its lease run out. Made with the service's own repository.
    event = placed()

    async def record_as_a_dying_handler_would():
        pool = await db.open_pool(postgres.url("email_test"), max_size=1)
        try:
            await pool.wait()
            mailer = Mailer(EmailRepository(pool), None, Renderer("The Shop"),
                            sender="The Shop <orders@shop.example>",
                            policy=RetryPolicy(first=1, maximum=1, give_up_after=3600, lease=90))
            email = mailer.compose(notice_for(event))
            assert await EmailRepository(pool).record(email, lease_until=datetime.now(timezone.utc) - timedelta(seconds=1))
            return email
        finally:
            await pool.close()

    email = asyncio.run(record_as_a_dying_handler_would())
    (sent,) = wait_for_emails(emails, event.order.email, 1)
    assert sent.id == email.id and sent.message_id == email.message_id

    duplicates = metric(email_service, "email_outcomes_total", outcome="duplicate")
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)  # the redelivery of the event
    wait_for_metric(email_service, "email_outcomes_total", duplicates + 1, outcome="duplicate")
    assert len(sent_to(emails, event.order.email)) == 1
    assert len(eml_files_to(mail_dir, event.order.email)) == 1
