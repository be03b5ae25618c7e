"""Which order event calls for which email, and how an event's order becomes the order
the email shows: amounts exact, in one currency, or the event is refused."""
from datetime import timezone
from decimal import Decimal

import pytest

from emailservice.consumer import notice_for
from emailservice.errors import InvalidEvent
from emailservice.notices import EmailKind
from shop.checkout.v1 import events_pb2
from tests.support.email_builders import OrderStatus, cancelled, money, order, placed, status_changed


def test_an_order_placed_calls_for_order_received_with_the_whole_order():
    event = placed(order(email="ada@example.com", currency="EUR", name="Ada Lovelace"))
    notice = notice_for(event)
    assert notice.kind is EmailKind.ORDER_RECEIVED and notice.event_id == event.event_id
    assert notice.event_type == "shop.checkout.v1.OrderPlaced"
    got = notice.order
    assert got.id == event.order.id and got.email == "ada@example.com" and got.currency == "EUR"
    assert [(line.name, line.quantity, line.unit_price, line.line_total) for line in got.lines] == [
        ("Stoneware Mug", 2, Decimal("12.5"), Decimal("25")), ("Linen Apron", 1, Decimal("18"), Decimal("18"))]
    assert (got.subtotal, got.shipping_cost, got.total) == (Decimal("43"), Decimal("4.99"), Decimal("47.99"))
    assert got.address.name == "Ada Lovelace" and got.address.postal_code == "SW1Y 4JH"
    assert got.placed_at.tzinfo is timezone.utc


@pytest.mark.parametrize("status, kind", [
    (OrderStatus.ORDER_STATUS_PAID, EmailKind.PAYMENT_CONFIRMED),
    (OrderStatus.ORDER_STATUS_PAYMENT_FAILED, EmailKind.PAYMENT_FAILED),
    (OrderStatus.ORDER_STATUS_SHIPPED, EmailKind.SHIPPED),
    (OrderStatus.ORDER_STATUS_REFUNDED, EmailKind.REFUNDED),
])
def test_each_status_change_with_an_email_calls_for_its_kind(status, kind):
    assert notice_for(status_changed(order(), status)).kind is kind


@pytest.mark.parametrize("status", [OrderStatus.ORDER_STATUS_UNSPECIFIED, OrderStatus.ORDER_STATUS_PLACED,
                                    OrderStatus.ORDER_STATUS_CANCELLED, 42])
def test_other_statuses_call_for_no_email(status):
    assert notice_for(status_changed(order(), status)) is None


def test_a_shipped_order_brings_its_tracking_id():
    notice = notice_for(status_changed(order(), OrderStatus.ORDER_STATUS_SHIPPED, tracking_id="CK473124829US"))
    assert notice.order.tracking_id == "CK473124829US"


def test_a_cancellation_brings_its_reason_and_who_cancelled_and_whether_it_was_paid():
    notice = notice_for(cancelled(order(), reason="Changed my mind", captured=True, by_admin=True))
    assert notice.kind is EmailKind.CANCELLED and notice.order.status_reason == "Changed my mind"
    assert notice.payment_captured and notice.cancelled_by_admin


@pytest.mark.parametrize("event", [
    events_pb2.OrderPlaced(event_id="e1", order_id="o1"),
    placed(order(total=money("47.99", "EUR"))),
    placed(order(subtotal=money("1", "usd"), currency_code="usd")),
    placed(order(shipping_cost=None)),
])
def test_an_event_whose_order_cannot_be_shown_is_refused(event):
    with pytest.raises(InvalidEvent):
        notice_for(event)
