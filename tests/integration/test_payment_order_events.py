"""paymentservice on the event pipeline, against real RabbitMQ and PostgreSQL: order
events from `checkout.events` capture, void and refund; every change is announced on
`payment.events`; a redelivered event changes nothing; a malformed message goes to the
dead-letter queue and the queue keeps flowing."""
import json
import uuid

import psycopg
import pytest
from google.type import money_pb2

from service_runtime import messaging, topology
from shop.checkout.v1 import checkout_pb2, events_pb2 as checkout_events
from shop.payment.v1 import events_pb2 as payment_events, payment_pb2, payment_pb2_grpc
from tests.support.events import drain, listen, new_event_fields, publish, publish_raw
from tests.support import metrics
from tests.support.services import wait_until

P = payment_pb2
QUEUE = "payment.checkout-events"
EVENT_TYPES = {cls.DESCRIPTOR.full_name: cls for cls in (
    payment_events.PaymentCaptured, payment_events.PaymentFailed, payment_events.PaymentRefunded,
    payment_events.PaymentVoided)}


class PublishedEvents:
    """What paymentservice published to payment.events, read from a queue of the test's own."""

    def __init__(self, amqp_url: str, database_url: str):
        self._url = amqp_url
        self._database_url = database_url
        self._queue = listen(amqp_url, topology.PAYMENT_EVENTS)
        self.messages = []  # (AMQP message, parsed event)

    def _poll(self):
        for message in drain(self._url, self._queue):
            self.messages.append((message, EVENT_TYPES[message.type].FromString(message.body)))

    def of(self, payment_id: str) -> list:
        self._poll()
        return [event for _, event in self.messages if event.payment_id == payment_id]

    def wait_for(self, payment_id: str, event_class, timeout: float = 20.0):
        found = wait_until(lambda: [e for e in self.of(payment_id) if isinstance(e, event_class)], timeout,
                           f"{event_class.DESCRIPTOR.name} for {payment_id}")
        return found[0]

    def all_sent(self) -> list:
        """Every event, once the outbox holds nothing unsent: nothing more is on its way."""
        def outbox_empty():
            with psycopg.connect(self._database_url) as conn:
                return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0
        wait_until(outbox_empty, 20, "the outbox relayed every event")
        self._poll()
        return self.messages


@pytest.fixture(scope="module")
def published(payment_service, rabbitmq, postgres):
    return PublishedEvents(rabbitmq.url, postgres.url("payment_test"))


@pytest.fixture
def payments(payment_channel):
    return payment_pb2_grpc.PaymentServiceStub(payment_channel)


def authorize(stub, number="4242 4242 4242 4242", units=40):
    return stub.Authorize(P.AuthorizeRequest(
        order_id=f"order-{uuid.uuid4().hex}", amount=money_pb2.Money(currency_code="USD", units=units),
        credit_card=P.CreditCard(number=number, cvv="123", expiry_month=12, expiry_year=2031,
                                 holder_name="Ada Lovelace")), timeout=10).payment


def get(stub, payment_id):
    return stub.GetPayment(P.GetPaymentRequest(payment_id=payment_id), timeout=10).payment


def wait_for_status(stub, payment_id, status, timeout=20.0):
    return wait_until(lambda: (p := get(stub, payment_id)).status == status and p, timeout,
                      f"{payment_id} reaching {P.PaymentStatus.Name(status)}")


def order(payment, status=checkout_pb2.ORDER_STATUS_PLACED):
    return checkout_pb2.Order(id=payment.order_id, user_id="user-ada", email="ada@example.com", status=status,
                              currency_code=payment.amount.currency_code, total=payment.amount,
                              payment_id=payment.id)


def order_placed(payment):
    return checkout_events.OrderPlaced(order_id=payment.order_id, order=order(payment), **new_event_fields())


def order_cancelled(payment, reason="", captured=False):
    return checkout_events.OrderCancelled(
        order_id=payment.order_id, payment_id=payment.id, payment_captured=captured, reason=reason,
        order=order(payment, checkout_pb2.ORDER_STATUS_CANCELLED), **new_event_fields())


def consumer_logged(service, event_id: str, outcome: str) -> bool:
    for line in service.log_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event_id") == event_id and record.get("logger") == "paymentservice.consumer":
                assert outcome in record["message"], record
                return True
    return False


def messages_counted(service, message_type: str, outcome: str) -> float:
    return metrics.value(service.http_url, "messaging_messages_total", queue=QUEUE, type=message_type,
                         outcome=outcome)


def test_order_placed_captures_the_payment_and_announces_it(payments, published, rabbitmq):
    payment = authorize(payments)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_placed(payment))
    captured = wait_for_status(payments, payment.id, P.PAYMENT_STATUS_CAPTURED)
    assert captured.captured_amount == payment.amount
    event = published.wait_for(payment.id, payment_events.PaymentCaptured)
    assert (event.order_id, event.amount) == (payment.order_id, payment.amount)
    assert event.occur_time == captured.capture_time
    [message] = [m for m, e in published.messages if e is event]
    assert (message.type, message.content_type, message.message_id, message.delivery_mode) == (
        "shop.payment.v1.PaymentCaptured", messaging.CONTENT_TYPE, event.event_id, 2)


def test_the_same_order_placed_again_captures_nothing_more(payments, published, rabbitmq, payment_service):
    payment = authorize(payments)
    event = order_placed(payment)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)
    captured = wait_for_status(payments, payment.id, P.PAYMENT_STATUS_CAPTURED)
    wait_until(lambda: consumer_logged(payment_service, event.event_id, "captured"), 20, "the first delivery")
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)
    wait_until(lambda: consumer_logged_twice(payment_service, event.event_id), 20, "the second delivery handled")
    published.all_sent()
    assert [type(e) for e in published.of(payment.id)] == [payment_events.PaymentCaptured]
    assert get(payments, payment.id) == captured


def consumer_logged_twice(service, event_id: str) -> bool:
    lines = [json.loads(line) for line in service.log_text().splitlines() if event_id in line and line.startswith("{")]
    outcomes = [r["message"] for r in lines if r.get("logger") == "paymentservice.consumer"]
    return len(outcomes) == 2 and outcomes[1] == "OrderPlaced: already handled (a redelivery)"


def test_two_copies_of_an_order_placed_arriving_together_capture_once(payments, published, rabbitmq):
    payment = authorize(payments)
    event = order_placed(payment)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event, event, event)
    wait_for_status(payments, payment.id, P.PAYMENT_STATUS_CAPTURED)
    published.wait_for(payment.id, payment_events.PaymentCaptured)
    published.all_sent()
    assert [type(e) for e in published.of(payment.id)] == [payment_events.PaymentCaptured]


def test_order_cancelled_after_capture_refunds_it_all(payments, published, rabbitmq):
    payment = authorize(payments, units=25)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_placed(payment))
    published.wait_for(payment.id, payment_events.PaymentCaptured)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_cancelled(payment, "found it cheaper", captured=True))
    refunded = wait_for_status(payments, payment.id, P.PAYMENT_STATUS_REFUNDED)
    assert refunded.refunded_amount == payment.amount
    event = published.wait_for(payment.id, payment_events.PaymentRefunded)
    assert (event.order_id, event.amount, event.total_refunded, event.fully_refunded, event.reason) == (
        payment.order_id, payment.amount, payment.amount, True, "order cancelled: found it cheaper")


def test_order_cancelled_after_a_partial_refund_gives_back_the_rest(payments, published, rabbitmq):
    payment = authorize(payments, units=30)
    payments.Capture(P.CaptureRequest(payment_id=payment.id), timeout=10)
    payments.Refund(P.RefundRequest(payment_id=payment.id, amount=money_pb2.Money(currency_code="USD", units=10)),
                    timeout=10)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_cancelled(payment, captured=True))
    wait_for_status(payments, payment.id, P.PAYMENT_STATUS_REFUNDED)
    refunds = wait_until(lambda: len(r := [e for e in published.of(payment.id)
                                           if isinstance(e, payment_events.PaymentRefunded)]) == 2 and r,
                         20, "both refunds announced")
    assert [(r.amount.units, r.total_refunded.units, r.fully_refunded) for r in refunds] == [
        (10, 10, False), (20, 30, True)]


def test_order_cancelled_before_capture_voids_the_authorization(payments, published, rabbitmq):
    payment = authorize(payments)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_cancelled(payment, "changed my mind"))
    voided = wait_for_status(payments, payment.id, P.PAYMENT_STATUS_VOIDED)
    assert voided.captured_amount.units == 0 and voided.HasField("void_time")
    event = published.wait_for(payment.id, payment_events.PaymentVoided)
    assert (event.order_id, event.occur_time) == (payment.order_id, voided.void_time)


def test_a_card_refused_at_capture_announces_payment_failed(payments, published, rabbitmq):
    payment = authorize(payments, number="4000 0000 0000 0341")
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_placed(payment))
    failed = wait_for_status(payments, payment.id, P.PAYMENT_STATUS_FAILED)
    assert failed.decline_reason == P.DECLINE_REASON_CARD_DECLINED
    event = published.wait_for(payment.id, payment_events.PaymentFailed)
    assert (event.order_id, event.reason, event.message) == (
        payment.order_id, P.DECLINE_REASON_CARD_DECLINED, "The card was declined.")
    published.all_sent()
    assert [type(e) for e in published.of(payment.id)] == [payment_events.PaymentFailed]


def test_changes_made_through_rpcs_are_announced_too(payments, published):
    captured = authorize(payments, units=50)
    payments.Capture(P.CaptureRequest(payment_id=captured.id), timeout=10)
    payments.Refund(P.RefundRequest(payment_id=captured.id, amount=money_pb2.Money(currency_code="USD", units=5),
                                    reason="late delivery"), timeout=10)
    voided = authorize(payments)
    payments.Void(P.VoidRequest(payment_id=voided.id), timeout=10)
    untouched = authorize(payments)
    published.wait_for(voided.id, payment_events.PaymentVoided)
    published.wait_for(captured.id, payment_events.PaymentRefunded)
    published.all_sent()
    assert [type(e).__name__ for e in published.of(captured.id)] == ["PaymentCaptured", "PaymentRefunded"]
    assert published.of(captured.id)[1].reason == "late delivery"
    assert published.of(untouched.id) == []  # an authorization is not announced


def dead_letters(rabbitmq, seen: list) -> list:
    """Everything dead-lettered so far (draining takes it off the queue, so keep it)."""
    seen += drain(rabbitmq.url, f"{QUEUE}.dlq")
    return seen


def test_an_order_event_naming_another_orders_payment_is_dead_lettered_untouched(payments, rabbitmq):
    payment = authorize(payments)
    event = order_placed(payment)
    event.order_id = event.order.id = f"order-{uuid.uuid4().hex}"
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, event)
    seen = []
    wait_until(lambda: [m for m in dead_letters(rabbitmq, seen) if m.message_id == event.event_id], 20,
               "the event dead-lettered")
    assert get(payments, payment.id) == payment


def test_checkout_events_payment_does_not_act_on_are_acked_and_ignored(payments, rabbitmq, payment_service):
    payment = authorize(payments)
    changed = checkout_events.OrderStatusChanged(
        order_id=payment.order_id, previous_status=checkout_pb2.ORDER_STATUS_PLACED,
        status=checkout_pb2.ORDER_STATUS_PAID, order=order(payment, checkout_pb2.ORDER_STATUS_PAID),
        **new_event_fields())
    # Types a consumer does not handle are counted under "other", which keeps the metric's
    # labels bounded whatever types arrive.
    before = messages_counted(payment_service, "other", "ignored")
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, changed)
    wait_until(lambda: messages_counted(payment_service, "other", "ignored") >= before + 1, 20, "the event acked")
    assert get(payments, payment.id) == payment


@pytest.mark.parametrize("body, properties", [
    (b"\xff\xfenot a protobuf", dict(content_type=messaging.CONTENT_TYPE, message_id="garbage")),
    (None, dict(content_type="application/json", message_id="json")),
    (None, dict(content_type=messaging.CONTENT_TYPE)),
], ids=["garbage body", "wrong content type", "no message id"])
def test_a_malformed_message_is_dead_lettered_and_the_queue_keeps_flowing(payments, rabbitmq, body, properties):
    stuck = authorize(payments)
    event = order_placed(stuck)
    marker = str(uuid.uuid4())
    publish_raw(rabbitmq.url, topology.CHECKOUT_EVENTS, event.SerializeToString() if body is None else body,
                type=event.DESCRIPTOR.full_name, headers={"test-marker": marker}, **properties)
    seen = []
    [message] = wait_until(lambda: [m for m in dead_letters(rabbitmq, seen)
                                    if (m.headers or {}).get("test-marker") == marker], 20, "the message dead-lettered")
    assert message.type == "shop.checkout.v1.OrderPlaced"
    after = authorize(payments)
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_placed(after))
    wait_for_status(payments, after.id, P.PAYMENT_STATUS_CAPTURED)
    assert get(payments, stuck.id).status == P.PAYMENT_STATUS_AUTHORIZED
