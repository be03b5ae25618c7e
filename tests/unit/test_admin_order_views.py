"""The back office's order filters and how an order's parts read. Pure."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from werkzeug.datastructures import MultiDict

from frontend.admin_order_views import Filters, cancellable, cause_text, label, when
from shop.checkout.v1 import checkout_pb2
from shop.payment.v1 import payment_pb2
from shop.shipping.v1 import shipping_pb2


def test_filters_make_the_checkout_request_with_whole_utc_days():
    filters = Filters.from_args(MultiDict({"status": "paid", "email": " Ada@ ", "from": "2026-12-01",
                                           "to": "2026-12-02"}))
    assert filters.problem == ""
    asked = filters.request(25, "tok")
    assert (asked.status, asked.email, asked.page_size, asked.page_token) == (
        checkout_pb2.ORDER_STATUS_PAID, "Ada@", 25, "tok")
    assert asked.placed_after.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert asked.placed_before.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 12, 3, tzinfo=timezone.utc)
    assert filters.query() == "status=PAID&email=Ada@&from=2026-12-01&to=2026-12-02"


def test_no_filter_asks_for_everything():
    asked = Filters.from_args(MultiDict()).request(25, "")
    assert not asked.status and not asked.email and not asked.HasField("placed_after")


@pytest.mark.parametrize("args, says", [
    ({"status": "LOST"}, "there is no status LOST"),
    ({"from": "1/12/2026"}, "dates are written"),
    ({"from": "2026-12-05", "to": "2026-12-04"}, "the last day comes before the first"),
    ({"email": "a b"}, "without spaces"),
])
def test_filters_that_cannot_be_used_say_why(args, says):
    assert says in Filters.from_args(MultiDict(args)).problem


def test_enum_values_and_causes_read_as_words():
    assert label(payment_pb2.PaymentStatus, payment_pb2.PAYMENT_STATUS_CAPTURED) == "Captured"
    assert label(checkout_pb2.OrderStatus, checkout_pb2.ORDER_STATUS_PAYMENT_FAILED) == "Payment failed"
    assert label(shipping_pb2.ShipmentStatus, shipping_pb2.SHIPMENT_STATUS_OUT_FOR_DELIVERY) == "Out for delivery"
    assert cause_text("shop.shipping.v1.OrderShipped") == "event OrderShipped"
    assert cause_text("CancelAnyOrder") == "cancelled by an admin" and cause_text("") == ""


def test_only_placed_and_paid_orders_can_be_cancelled_and_unset_times_are_blank():
    assert [s for s in checkout_pb2.OrderStatus.values() if cancellable(checkout_pb2.Order(status=s))] == [
        checkout_pb2.ORDER_STATUS_PLACED, checkout_pb2.ORDER_STATUS_PAID]
    assert when(checkout_pb2.Order().create_time) == ""
