"""checkout's consumers: an event about an order checkout does not have is dead-lettered
at once, so it never holds up the events of real orders; an event that would move an
order illegally is refused and logged, never applied."""
import uuid

from google.type import money_pb2

from service_runtime import topology
from shop.checkout.v1 import checkout_pb2_grpc
from shop.payment.v1 import events_pb2 as payment_events
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import fill_cart, new_shopper, place_request, wait_for_status
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


def test_an_illegal_move_is_refused_and_the_order_keeps_its_status(rabbitmq, checkout_channel, cart_channel,
                                                                   catalog_channel, checkout_service):
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel).id, 1))
    order = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(place_request(owner), timeout=20).order
    shipped = wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    # A payment failure after shipping makes no sense: refused, logged, never applied.
    late = payment_events.PaymentFailed(order_id=order.id, payment_id=order.payment_id, message="too late",
                                        **events.new_event_fields())
    events.publish(rabbitmq.url, topology.PAYMENT_EVENTS, late)
    wait_until(lambda: any("refused an illegal transition" in line and late.event_id in line
                           for line in checkout_service.log_text().splitlines()), 10, "this event's refusal logged")
    again = wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    assert again.status_reason == shipped.status_reason and again.tracking_id == shipped.tracking_id
