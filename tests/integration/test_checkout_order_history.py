"""What the back office reads of orders, against the real checkout pipeline: each order's
status history as the lifecycle events moved it (and the calls that asked), and the admin
list's filters by email and by when the order was placed."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import (fill_cart, new_shopper, place_request, shipping_midway,
                                               wait_for_status)


@pytest.fixture
def checkout(checkout_channel):
    return checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)


def place(checkout, cart_channel, catalog_channel, email: str) -> tuple[str, checkout_pb2.Order]:
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel, stock=5).id, 1))
    return owner, checkout.PlaceOrder(place_request(owner, email=email), timeout=20).order


def history(checkout, order_id: str) -> list[tuple[str, str]]:
    reply = checkout.GetAnyOrder(checkout_pb2.GetAnyOrderRequest(order_id=order_id), timeout=5)
    return [(checkout_pb2.OrderStatus.Name(c.status).removeprefix("ORDER_STATUS_"), c.cause) for c in reply.history]


def test_a_shipped_orders_history_names_the_event_behind_each_step(checkout, cart_channel, catalog_channel,
                                                                 checkout_channel):
    owner, order = place(checkout, cart_channel, catalog_channel, "history@example.com")
    wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    assert history(checkout, order.id) == [("PLACED", "PlaceOrder"), ("PAID", "shop.payment.v1.PaymentCaptured"),
                                           ("SHIPPED", "shop.shipping.v1.OrderShipped")]
    changes = checkout.GetAnyOrder(checkout_pb2.GetAnyOrderRequest(order_id=order.id), timeout=5).history
    assert [c.change_time.ToDatetime() for c in changes] == sorted(c.change_time.ToDatetime() for c in changes)


def test_an_admins_cancel_and_the_refund_that_follows_are_in_the_history(checkout, cart_channel, catalog_channel,
                                                                        checkout_channel, postgres):
    with shipping_midway(postgres):  # paid, not shipped, while the admin cancels
        owner, order = place(checkout, cart_channel, catalog_channel, "cancel-history@example.com")
        wait_for_status(checkout_channel, owner, order.id, "PAID")
        checkout.CancelAnyOrder(checkout_pb2.CancelAnyOrderRequest(order_id=order.id, reason="out of paint"),
                                timeout=10)
    wait_for_status(checkout_channel, owner, order.id, "REFUNDED")
    assert history(checkout, order.id) == [
        ("PLACED", "PlaceOrder"), ("PAID", "shop.payment.v1.PaymentCaptured"), ("CANCELLED", "CancelAnyOrder"),
        ("REFUNDED", "shop.payment.v1.PaymentRefunded")]
    reply = checkout.GetAnyOrder(checkout_pb2.GetAnyOrderRequest(order_id=order.id), timeout=5)
    cancelled = next(c for c in reply.history if c.status == checkout_pb2.ORDER_STATUS_CANCELLED)
    assert cancelled.reason == "out of paint"


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def test_the_admin_list_filters_by_email_and_time(checkout, cart_channel, catalog_channel):
    tag = uuid.uuid4().hex[:8]
    before_any = datetime.now(timezone.utc) - timedelta(seconds=1)
    _, first = place(checkout, cart_channel, catalog_channel, f"Filter-{tag}@Example.com")
    between = datetime.now(timezone.utc)
    _, second = place(checkout, cart_channel, catalog_channel, f"filter-{tag}@example.org")

    def ids(**filters) -> list[str]:
        reply = checkout.ListAllOrders(checkout_pb2.ListAllOrdersRequest(page_size=100, **filters), timeout=5)
        return [o.id for o in reply.orders]

    assert ids(email=f"FILTER-{tag}") == [second.id, first.id]
    assert ids(email=f"{tag}@example.org") == [second.id]
    assert ids(email=tag, placed_after=_stamp(between)) == [second.id]
    assert ids(email=tag, placed_before=_stamp(between)) == [first.id]
    assert ids(email=tag, placed_after=_stamp(before_any), placed_before=_stamp(before_any)) == []
    with pytest.raises(grpc.RpcError) as long:
        ids(email="x" * 321)
    assert long.value.code() == grpc.StatusCode.INVALID_ARGUMENT
