"""The back office's messaging page (/admin/messaging) over the real broker and checkout:
a message checkout's consumer could not handle shows in its dead-letter queue with the
reason; an admin replays it and it goes back through the consumer (this one is still
broken, so it comes back); the replay is in checkout's audit log."""
from __future__ import annotations

import uuid

import grpc
import pytest

from service_runtime import messaging, topology
from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.operations.v1 import dead_letters_pb2, dead_letters_pb2_grpc
from tests.integration.test_frontend_back_office import sign_in, token_on
from tests.support import events
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register
from tests.support.services import wait_until

QUEUE = messaging.Subscription("checkout", topology.PAYMENT_EVENTS).dead_letter_queue


@pytest.fixture
def poison(rabbitmq, checkout_service):
    """A PaymentCaptured whose body does not parse, dead-lettered by checkout's consumer;
    the dead-letter queue is emptied afterwards."""
    message_id = str(uuid.uuid4())
    events.publish_raw(rabbitmq.url, topology.PAYMENT_EVENTS, b"\xff\xfe not protobuf", message_id=message_id,
                       type="shop.payment.v1.PaymentCaptured", content_type="application/x-protobuf",
                       delivery_mode=2)
    yield message_id
    events.drain(rabbitmq.url, QUEUE)


@pytest.fixture
def admin(frontend_app):
    client = frontend_app.test_client()
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client


def test_messaging_is_for_admins_only(frontend_app, identity_channel):
    assert frontend_app.test_client().get("/admin/messaging").headers["Location"] == "/login?next=/admin/messaging"
    customer = frontend_app.test_client()
    sign_in(customer, register(identity_channel).email, PASSWORD)
    assert customer.get("/admin/messaging").status_code == 403


def test_a_dead_letter_is_shown_with_its_reason_and_replayed(admin, poison, checkout_channel):
    page = wait_until(lambda: (lambda text: text if f'id="dead-letter-{poison}"' in text else None)(
        admin.get("/admin/messaging").text), 20, "the poison message in its dead-letter queue")
    assert f'id="dlq-{QUEUE}"' in page and "the body does not parse as shop.payment.v1.PaymentCaptured" in page
    for subscription in topology.SUBSCRIPTIONS:
        assert f'id="dlq-{subscription.dead_letter_queue}"' in page

    reply = admin.post("/admin/messaging/replay", data={"csrf_token": token_on(admin), "queue": QUEUE,
                                                        "message_id": poison})
    assert reply.status_code == 303
    assert f"1 message put back on {QUEUE.removesuffix('.dlq')}." in admin.get("/admin/messaging").text
    # still unreadable: checkout dead-letters it again, which shows it went back through
    wait_until(lambda: f'id="dead-letter-{poison}"' in admin.get("/admin/messaging").text, 20,
               "the replayed message dead-lettered again")

    log = audit_pb2_grpc.AuditLogServiceStub(checkout_channel).ListActions(
        audit_pb2.ListActionsRequest(page_size=50), timeout=5).actions
    entry = next(e for e in log if e.action == "ReplayDeadLetters" and poison in e.details)
    assert (entry.via, entry.outcome) == ("website", "OK") and entry.actor_id


def test_replaying_nothing_or_a_queue_that_is_not_one_is_refused(admin, checkout_channel):
    assert admin.post("/admin/messaging/replay", data={"csrf_token": token_on(admin), "queue": QUEUE}).status_code == 400
    odd = admin.post("/admin/messaging/replay", data={"csrf_token": token_on(admin), "queue": "orders", "all": "yes"})
    assert odd.status_code == 400 and "is not a subscription" in odd.text
    stub = dead_letters_pb2_grpc.DeadLetterServiceStub(checkout_channel)
    with pytest.raises(grpc.RpcError) as refused:
        stub.ListDeadLetters(dead_letters_pb2.ListDeadLettersRequest(queue="orders"), timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
