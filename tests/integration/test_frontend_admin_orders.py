"""The back office's orders (/admin/orders) over the real checkout pipeline: filters by
status, email and day; an order's page with its history from the lifecycle events, its
payment, shipment and emails; cancel and refund, refused once an order has shipped."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import (fill_cart, new_shopper, place_request, shipping_midway,
                                               wait_for_status)
from tests.integration.test_frontend_back_office import sign_in, token_on
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register
from tests.support.services import wait_until


@pytest.fixture
def admin(frontend_app):
    client = frontend_app.test_client()
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client


def place(checkout_channel, cart_channel, catalog_channel, email: str):
    owner = new_shopper()
    fill_cart(cart_channel, owner, (create_product(catalog_channel, stock=5).id, 1))
    order = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(
        place_request(owner, email=email), timeout=20).order
    return owner, order


def cancel(client, order_id: str, reason: str = ""):
    return client.post(f"/admin/orders/{order_id}/cancel", data={"csrf_token": token_on(client), "reason": reason})


def test_orders_are_for_admins_only(frontend_app, identity_channel):
    assert frontend_app.test_client().get("/admin/orders").headers["Location"] == "/login?next=/admin/orders"
    customer = frontend_app.test_client()
    sign_in(customer, register(identity_channel).email, PASSWORD)
    assert customer.get("/admin/orders").status_code == 403
    assert cancel(customer, "ord_anything").status_code == 403


def test_a_shipped_order_is_found_by_filters_and_its_page_tells_its_whole_story(
        admin, checkout_channel, cart_channel, catalog_channel):
    email = f"story-{uuid.uuid4().hex[:8]}@example.com"
    owner, order = place(checkout_channel, cart_channel, catalog_channel, email)
    wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    today = datetime.now(timezone.utc).date()

    listed = admin.get(f"/admin/orders?email={email.upper()}&status=SHIPPED&from={today}&to={today}")
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert f'id="order-{order.id}"' in listed.text and "1 order," in listed.text
    assert f'id="order-{order.id}"' not in admin.get(f"/admin/orders?email={email}&status=PLACED").text
    tomorrow = today + timedelta(days=1)
    assert f'id="order-{order.id}"' not in admin.get(f"/admin/orders?email={email}&from={tomorrow}").text

    page = admin.get(f"/admin/orders/{order.id}").text
    history = re.search(r'<ol class="order-history">(.*?)</ol>', page, re.S).group(1)
    assert [s for s in re.findall(r"<strong>(\w[\w ]*)</strong>", history)] == ["Placed", "Paid", "Shipped"]
    assert "placed at checkout" in history and "event PaymentCaptured" in history and "event OrderShipped" in history
    shipped = checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).GetAnyOrder(
        checkout_pb2.GetAnyOrderRequest(order_id=order.id), timeout=5).order
    assert "Captured: Visa ending 4242" in page and f"tracking {shipped.tracking_id}" in page
    wait_until(lambda: admin.get(f"/admin/orders/{order.id}").text.count("to " + email) >= 3, 30,
               "three emails about the order")
    assert "Cancel and refund" not in page


@pytest.mark.parametrize("query, says", [
    ("from=05-12-2026", "dates are written 2026-12-05"),
    ("from=2026-12-05&to=2026-12-01", "the last day comes before the first"),
    ("status=LOST", "there is no status LOST"),
    ("email=a b", "without spaces"),
])
def test_filters_that_cannot_be_used_are_a_400_saying_why(admin, query, says):
    reply = admin.get(f"/admin/orders?{query}")
    assert reply.status_code == 400 and says in reply.text and "Traceback" not in reply.text


def test_an_admin_cancels_a_paid_order_and_it_is_refunded_and_audited(
        admin, checkout_channel, cart_channel, catalog_channel, postgres):
    email = f"refund-{uuid.uuid4().hex[:8]}@example.com"
    with shipping_midway(postgres):
        owner, order = place(checkout_channel, cart_channel, catalog_channel, email)
        wait_for_status(checkout_channel, owner, order.id, "PAID")
        assert "Cancel and refund" in admin.get(f"/admin/orders/{order.id}").text
        reply = cancel(admin, order.id, "the paint ran out")
        assert reply.status_code == 303
        assert "is cancelled: its payment is voided, or refunded" in admin.get(reply.headers["Location"]).text
    wait_for_status(checkout_channel, owner, order.id, "REFUNDED")
    page = admin.get(f"/admin/orders/{order.id}").text
    assert "cancelled by an admin: the paint ran out" in page and "Refunded" in page
    assert re.search(r"Refunded: Visa ending 4242;.*captured \$[\d.]+, refunded \$[\d.]+", page, re.S)
    log = audit_pb2_grpc.AuditLogServiceStub(checkout_channel).ListActions(
        audit_pb2.ListActionsRequest(page_size=50), timeout=5).actions
    entry = next(e for e in log if e.target == order.id)
    assert (entry.action, entry.via, entry.outcome) == ("CancelAnyOrder", "website", "OK") and entry.actor_id


def test_a_shipped_order_cannot_be_cancelled_and_the_admin_is_told(admin, checkout_channel, cart_channel,
                                                                   catalog_channel):
    owner, order = place(checkout_channel, cart_channel, catalog_channel, "late-cancel@example.com")
    wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    reply = cancel(admin, order.id)
    assert reply.status_code == 303
    assert "The order was not cancelled: order" in admin.get(reply.headers["Location"]).text
    assert admin.get("/admin/orders/ord_no_such_order").status_code == 404
