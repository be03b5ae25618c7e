from datetime import datetime, timezone
from decimal import Decimal

import pytest

from checkoutservice import orders
from checkoutservice.errors import AlreadyShipped, IllegalTransition, InvalidArgument
from checkoutservice.orders import Status

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
ADDRESS = orders.Address("Ada", ("1 Road",), "Boston", "MA", "02108", "US")


def order(status=Status.PLACED, **changes) -> orders.Order:
    fields = dict(id="ord_1", user_id="guest:1", email="ada@example.com", status=status,
                  lines=(orders.Line("mug", "Mug", 2, Decimal("12.50")), orders.Line("tote", "Tote", 1, Decimal("9.99"))),
                  address=ADDRESS, currency="USD", shipping_cost=Decimal("4.99"), payment_id="pay_1")
    fields.update(changes)
    return orders.Order(**fields)


def test_totals_are_exact_sums_of_the_lines_and_shipping():
    assert order().subtotal == Decimal("34.99") and order().total == Decimal("39.98")


@pytest.mark.parametrize("start, to", [
    (Status.PLACED, Status.PAID), (Status.PLACED, Status.PAYMENT_FAILED), (Status.PLACED, Status.CANCELLED),
    (Status.PAID, Status.SHIPPED), (Status.PAID, Status.CANCELLED), (Status.CANCELLED, Status.REFUNDED),
])
def test_the_lifecycle_allows_its_moves_and_stamps_their_time(start, to):
    moved = orders.moved(order(start), to, NOW)
    assert moved.status == to and moved.updated_at == NOW
    if to in orders.TIME_OF_STATUS:
        assert moved.times[orders.TIME_OF_STATUS[to]] == NOW


@pytest.mark.parametrize("start, to", [
    (Status.PLACED, Status.SHIPPED), (Status.PLACED, Status.REFUNDED), (Status.PAID, Status.PAYMENT_FAILED),
    (Status.SHIPPED, Status.CANCELLED), (Status.SHIPPED, Status.PAID), (Status.PAYMENT_FAILED, Status.PAID),
    (Status.CANCELLED, Status.SHIPPED), (Status.REFUNDED, Status.PAID), (Status.PAID, Status.PAID),
])
def test_every_other_move_is_refused(start, to):
    with pytest.raises(IllegalTransition, match=f"from {start.value} to {to.value}"):
        orders.moved(order(start), to, NOW)


def test_shipping_keeps_the_tracking_id_and_a_failure_its_reason():
    assert orders.moved(order(Status.PAID), Status.SHIPPED, NOW, tracking_id="CK1US").tracking_id == "CK1US"
    failed = orders.moved(order(), Status.PAYMENT_FAILED, NOW, reason="The card has insufficient funds.")
    assert failed.status_reason == "The card has insufficient funds."


def test_cancelling_twice_changes_nothing_and_late_cancels_are_refused():
    assert orders.cancellation(order(Status.CANCELLED), NOW, "again") is None
    assert orders.cancellation(order(Status.REFUNDED), NOW, "again") is None
    for status in (Status.SHIPPED, Status.PAYMENT_FAILED):
        with pytest.raises(IllegalTransition, match="can no longer be cancelled"):
            orders.cancellation(order(status), NOW, "")
    with pytest.raises(AlreadyShipped) as info:
        orders.cancellation(order(Status.SHIPPED, tracking_id="CK1US"), NOW, "")
    assert (info.value.reason, info.value.metadata) == ("ALREADY_SHIPPED", {"tracking_id": "CK1US"})
    cancelled = orders.cancellation(order(Status.PAID), NOW, "changed my mind")
    assert cancelled.status == Status.CANCELLED and cancelled.status_reason == "changed my mind"


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com",
                                   "x" * 250 + "@example.com"])
def test_bad_emails_are_refused_naming_the_field(email):
    with pytest.raises(InvalidArgument) as info:
        orders.check_email(email)
    assert info.value.field == "email"


def test_order_ids_are_unique_and_url_safe():
    ids = {orders.new_order_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(i) <= 64 and i.replace("_", "").isalnum() for i in ids)


def test_request_ids_and_reasons_are_bounded():
    assert orders.check_request_id("form-1_a") == "form-1_a"
    for bad in ("x" * 65, "has space", "a/b"):
        with pytest.raises(InvalidArgument):
            orders.check_request_id(bad)
    with pytest.raises(InvalidArgument):
        orders.check_reason("r" * 501)
