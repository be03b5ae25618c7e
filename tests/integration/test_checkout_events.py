"""checkout's consumers: an event about an order checkout does not have is dead-lettered
at once, so it never holds up the events of real orders."""
import uuid

from google.type import money_pb2

from service_runtime import topology
from shop.payment.v1 import events_pb2 as payment_events
from tests.support import events
from tests.support.services import wait_until


def test_an_event_for_an_unknown_order_goes_straight_to_the_dead_letter_queue(rabbitmq, checkout_service):
    captured = payment_events.PaymentCaptured(
        order_id=f"ord_{uuid.uuid4().hex[:20]}", payment_id=str(uuid.uuid4()),
        amount=money_pb2.Money(currency_code="USD", units=5), **events.new_event_fields())
    events.publish(rabbitmq.url, topology.PAYMENT_EVENTS, captured)
    found = []
    wait_until(lambda: found.extend(events.drain(rabbitmq.url, "checkout.payment-events.dlq")) or
               any(m.message_id == captured.event_id for m in found), 5,
               "the unknown order's event dead-lettered within seconds (no paced retries)")
