"""Cancelling a PAID order stops its shipment first (docs/decisions/0004), with every
service a real process.

An order is kept PAID but not yet shipped the way the race happens in production:
shippingservice has received the PAID event and is in the middle of handling it. The
tests hold it there by locking shipping's `processed_events` table, the first thing its
event handler writes; CancelShipment, a direct call, never touches that table. When the
lock goes, the handler carries on exactly as it would have."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import grpc
import psycopg
import pytest

from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import (
    ADDRESS, fill_cart, new_shopper, place_request, refusal, shipping_midway, wait_for_status,
)
from tests.support import scale
from tests.support.services import ServiceProcess, wait_until


@pytest.fixture
def checkout(checkout_channel):
    return checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)


@pytest.fixture
def shipping(shipping_channel):
    return shipping_pb2_grpc.ShippingServiceStub(shipping_channel)


@contextmanager
def checkout_not_hearing(postgres):
    """checkoutservice's event handlers wait, before they touch an order, until the block
    ends (they claim the event in `processed_events` first; CancelOrder never does)."""
    with psycopg.connect(postgres.url("checkout_test")) as hold:
        hold.execute("LOCK TABLE processed_events IN EXCLUSIVE MODE")
        yield


def outcome_in_shipping(postgres, order_id: str) -> tuple[str | None, int]:
    """(order_outcomes.outcome, number of shipments) for the order in shipping's database."""
    with psycopg.connect(postgres.url("shipping_test")) as conn:
        outcome = conn.execute("SELECT outcome FROM order_outcomes WHERE order_id = %s", (order_id,)).fetchone()
        shipments = conn.execute("SELECT count(*) FROM shipments WHERE order_id = %s", (order_id,)).fetchone()[0]
    return (outcome[0] if outcome else None), shipments


def logged(service: ServiceProcess, message: str, order_id: str) -> bool:
    lines = (json.loads(line) for line in service.log_text().splitlines() if line.startswith("{"))
    return any(line.get("message") == message and line.get("order_id") == order_id for line in lines)


def paid_order(checkout, checkout_channel, cart_channel, catalog_channel, owner: str):
    fill_cart(cart_channel, owner, (create_product(catalog_channel, stock=5).id, 1))
    order = checkout.PlaceOrder(place_request(owner), timeout=20).order
    return wait_for_status(checkout_channel, owner, order.id, "PAID")


def get(checkout, owner: str, order_id: str):
    return checkout.GetOrder(checkout_pb2.GetOrderRequest(user_id=owner, order_id=order_id), timeout=5).order


def payment_status(payment_channel, payment_id: str) -> int:
    return payment_pb2_grpc.PaymentServiceStub(payment_channel).GetPayment(
        payment_pb2.GetPaymentRequest(payment_id=payment_id), timeout=5).payment.status


def test_cancelling_a_paid_order_stops_its_shipment_and_it_never_ships(
        checkout, checkout_channel, cart_channel, catalog_channel, postgres, shipping_service):
    owner = new_shopper()
    with shipping_midway(postgres):
        order = paid_order(checkout, checkout_channel, cart_channel, catalog_channel, owner)
        cancelled = checkout.CancelOrder(checkout_pb2.CancelOrderRequest(
            user_id=owner, order_id=order.id, reason="changed my mind"), timeout=10).order
        assert cancelled.status == checkout_pb2.ORDER_STATUS_CANCELLED
        assert outcome_in_shipping(postgres, order.id) == ("cancelled", 0)
    # The PAID event's handler now goes on, and finds the order must not ship.
    wait_until(lambda: logged(shipping_service, "not shipping a cancelled order", order.id), 20,
               "shipping to refuse the PAID order")
    wait_for_status(checkout_channel, owner, order.id, "REFUNDED")
    assert outcome_in_shipping(postgres, order.id) == ("cancelled", 0), "no shipment, so no OrderShipped"
    assert not get(checkout, owner, order.id).tracking_id


def test_an_order_shipping_has_already_shipped_cannot_be_cancelled_and_nothing_changes(
        checkout, shipping, checkout_channel, cart_channel, catalog_channel, payment_channel, postgres):
    owner = new_shopper()
    with shipping_midway(postgres):
        order = paid_order(checkout, checkout_channel, cart_channel, catalog_channel, owner)
        # What shipping's handler does with the PAID event; checkout has not heard yet
        # (shipping's OrderShipped leaves at once, so checkout is kept from hearing it).
        with checkout_not_hearing(postgres):
            shipment = shipping.ShipOrder(shipping_pb2.ShipOrderRequest(
                order_id=order.id, address=ADDRESS, items=[shipping_pb2.ShipmentItem(
                    product_id=order.lines[0].product_id, quantity=1)]), timeout=10).shipment
            with pytest.raises(grpc.RpcError) as info:
                checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=10)
            error = info.value
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert refusal(error)[:2] == ("ALREADY_SHIPPED", {"tracking_id": shipment.tracking_id})
            assert "already shipped and can no longer be cancelled" in error.details()
            assert get(checkout, owner, order.id).status == checkout_pb2.ORDER_STATUS_PAID
            assert payment_status(payment_channel, order.payment_id) == payment_pb2.PAYMENT_STATUS_CAPTURED
    shipped = wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    assert shipped.tracking_id == shipment.tracking_id


def test_cancelling_an_order_checkout_knows_has_shipped_says_already_shipped(
        checkout, checkout_channel, cart_channel, catalog_channel):
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel, stock=5).id, 1))
    order = checkout.PlaceOrder(place_request(owner), timeout=20).order
    shipped = wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    with pytest.raises(grpc.RpcError) as info:
        checkout.CancelAnyOrder(checkout_pb2.CancelAnyOrderRequest(order_id=order.id), timeout=10)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert refusal(info.value)[:2] == ("ALREADY_SHIPPED", {"tracking_id": shipped.tracking_id})
    assert get(checkout, owner, order.id).status == checkout_pb2.ORDER_STATUS_SHIPPED


def test_a_shipment_stopped_by_a_cancel_that_died_before_the_order_changed_still_ends_cancelled(
        checkout, shipping, checkout_channel, cart_channel, catalog_channel, postgres):
    owner = new_shopper()
    with shipping_midway(postgres):
        order = paid_order(checkout, checkout_channel, cart_channel, catalog_channel, owner)
        # The first half of a cancel, as checkout makes it, and then nothing: its process died.
        shipping.CancelShipment(shipping_pb2.CancelShipmentRequest(order_id=order.id, reason="changed my mind"),
                                timeout=10)
        # shipping's ShipmentCancelled event finishes it (and the refund follows at once).
        wait_until(lambda: get(checkout, owner, order.id).status in (
            checkout_pb2.ORDER_STATUS_CANCELLED, checkout_pb2.ORDER_STATUS_REFUNDED), 30, "the order cancelled")
    refunded = wait_for_status(checkout_channel, owner, order.id, "REFUNDED")
    assert refunded.status_reason == "changed my mind" and refunded.HasField("cancel_time")
    assert outcome_in_shipping(postgres, order.id) == ("cancelled", 0)
    again = checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=10)
    assert again.order.status == checkout_pb2.ORDER_STATUS_REFUNDED, "a retry of the cancel changes nothing"


@pytest.fixture(scope="module")
def own_stack(postgres, rabbitmq, catalog_service, cart_service, artifacts_dir):
    """checkout, payment and shipping of their own (own databases, own vhost), so that
    shipping can be killed without touching other tests."""
    with scale.own_backing(postgres, rabbitmq, "cancelship", ["checkout", "shipping", "payment"]) as backing:
        log = artifacts_dir / f"cancelship-{backing.suffix}"
        shipping = ServiceProcess("shippingservice", {
            "DATABASE_URL": backing.databases["shipping"], "AMQP_URL": backing.amqp_url,
            "CATALOG_ADDR": catalog_service.address}, log.with_name(log.name + "-shipping.log"))
        payment = ServiceProcess("paymentservice", {
            "DATABASE_URL": backing.databases["payment"], "AMQP_URL": backing.amqp_url},
            log.with_name(log.name + "-payment.log"))
        with shipping, payment:
            checkout = ServiceProcess("checkoutservice", {
                "DATABASE_URL": backing.databases["checkout"], "AMQP_URL": backing.amqp_url,
                "CART_ADDR": cart_service.address, "CATALOG_ADDR": catalog_service.address,
                "SHIPPING_ADDR": shipping.address, "PAYMENT_ADDR": payment.address,
            }, log.with_name(log.name + "-checkout.log"))
            with checkout, grpc.insecure_channel(checkout.address) as channel:
                yield shipping, backing.databases["shipping"], channel


def test_with_shipping_unreachable_a_paid_order_cannot_be_cancelled_and_stays_as_it_was(
        own_stack, cart_channel, catalog_channel):
    shipping_process, shipping_db, checkout_channel = own_stack
    checkout = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel, stock=5).id, 1))
    with psycopg.connect(shipping_db) as hold:
        hold.execute("LOCK TABLE processed_events IN EXCLUSIVE MODE")  # the PAID event waits, unacked
        order = checkout.PlaceOrder(place_request(owner), timeout=20).order
        wait_for_status(checkout_channel, owner, order.id, "PAID")
        scale.sigkill_tree(shipping_process.process)
        shipping_process.stop()
    try:
        with pytest.raises(grpc.RpcError) as info:
            checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=15)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "could not be cancelled right now" in info.value.details()
        assert get(checkout, owner, order.id).status == checkout_pb2.ORDER_STATUS_PAID
    finally:
        shipping_process.start()
    # Nothing was stopped: back, shipping takes the PAID event again and ships the order.
    wait_for_status(checkout_channel, owner, order.id, "SHIPPED")


SLOW_CANCELS = 3  # as many as the small checkout's database pool holds


def test_cancels_waiting_on_a_slow_shipping_hold_no_connection_and_orders_keep_flowing(
        checkout, checkout_channel, cart_channel, catalog_channel, postgres, rabbitmq, catalog_service,
        cart_service, shipping_service, payment_service, tmp_path):
    """Cancels of PAID orders wait on shipping (its order_outcomes table is locked, so each
    CancelShipment waits). A checkout with a database pool of 3 answers three such cancels
    at once and still places an order meanwhile: no row lock or pooled connection is held
    across the call to shipping. Held, the three would take the whole pool, and the order
    would fail after the pool's 3 s wait."""
    small = ServiceProcess("checkoutservice", {
        "DATABASE_URL": postgres.url("checkout_test"), "AMQP_URL": rabbitmq.url, "DB_POOL_SIZE": str(SLOW_CANCELS),
        "CART_ADDR": cart_service.address, "CATALOG_ADDR": catalog_service.address,
        "SHIPPING_ADDR": shipping_service.address, "PAYMENT_ADDR": payment_service.address,
    }, tmp_path / "checkout-small-pool.log").start()
    try:
        with grpc.insecure_channel(small.address) as channel, shipping_midway(postgres):
            small_checkout = checkout_pb2_grpc.CheckoutServiceStub(channel)
            owners = [new_shopper() for _ in range(SLOW_CANCELS)]
            orders = [paid_order(checkout, checkout_channel, cart_channel, catalog_channel, owner) for owner in owners]
            with psycopg.connect(postgres.url("shipping_test")) as slow, ThreadPoolExecutor(SLOW_CANCELS) as pool:
                slow.execute("LOCK TABLE order_outcomes IN EXCLUSIVE MODE")
                cancels = [pool.submit(small_checkout.CancelOrder, checkout_pb2.CancelOrderRequest(
                    user_id=owner, order_id=order.id, reason="slow shipping"), timeout=20)
                    for owner, order in zip(owners, orders)]
                wait_until(lambda: waiting_on_lock(postgres, "shipping_test", "order_outcomes") >= SLOW_CANCELS, 20,
                           "every CancelShipment waiting on shipping's lock")
                buyer = new_shopper()
                fill_cart(cart_channel, buyer, (create_product(catalog_channel, stock=5).id, 1))
                started = time.monotonic()
                placed = small_checkout.PlaceOrder(place_request(buyer), timeout=20).order
                took = time.monotonic() - started
                assert placed.status == checkout_pb2.ORDER_STATUS_PLACED
                assert took < 2.5, f"PlaceOrder took {took:.1f} s while the cancels waited"
                slow.rollback()  # shipping answers again
                cancelled = [future.result(20).order for future in cancels]
            assert {order.status for order in cancelled} == {checkout_pb2.ORDER_STATUS_CANCELLED}
    finally:
        small.stop()


def waiting_on_lock(postgres, database: str, table: str) -> int:
    """How many statements on the table wait on a lock in the database."""
    with psycopg.connect(postgres.url(database)) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database() AND query LIKE %s", (f"%{table}%",)).fetchone()[0]
