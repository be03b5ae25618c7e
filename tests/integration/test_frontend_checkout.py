"""Checkout on the website: the cart page's form places the order, the order page shows it
and follows its status to SHIPPED; refusals bring the form back with the visitor's input
and a message where it belongs."""
from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from frontend import create_app
from tests.integration.catalog_helpers import create_product, usd
from tests.integration.test_frontend_cart import add, checkout_form, csrf_token, line_row, shown_amount
from tests.support.net import free_port

ORDER_PATH = re.compile(r"^/orders/([A-Za-z0-9_-]+)$")


@pytest.fixture
def product(catalog_channel):
    return create_product(catalog_channel, stock=500, price=usd(12, 500_000_000))


def submit(web, **changes):
    """The checkout form as the cart page fills it in, with some fields changed."""
    form = checkout_form(web.get("/cart").text)
    return web.post("/checkout", data={**form, **changes})


def placed_order_id(reply) -> str:
    assert reply.status_code == 303, reply.text[:2000]
    return ORDER_PATH.match(reply.headers["Location"]).group(1)


def field_error(page: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="e-{name}">([^<]*)</p>', page)
    return match.group(1) if match else ""


def input_value(page: str, name: str) -> str:
    return checkout_form(page)[name]


def test_an_order_is_placed_and_its_page_follows_it_to_shipped(web, product):
    add(web, product.id, 2)
    order_id = placed_order_id(submit(web))
    page = web.get(f"/orders/{order_id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<h1>Thank you for your order</h1>" in page.text, "the first view thanks, whatever the status"
    assert order_id in page.text and product.name in page.text and "$25.00" in page.text
    assert 'src="/static/js/order-status.js"' in page.text and 'id="order-status"' in page.text
    cart_page = web.get("/cart")
    assert "Your cart is empty" in cart_page.text and cart_page.headers["Cache-Control"] == "no-store"

    seen, deadline = [], time.monotonic() + 30
    while time.monotonic() < deadline:
        status = web.get(f"/orders/{order_id}/status")
        assert status.status_code == 200 and status.headers["Cache-Control"] == "no-store"
        body = status.get_json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] == "SHIPPED":
            break
        time.sleep(0.5)
    assert seen[-1] == "SHIPPED", seen
    assert set(seen) <= {"PLACED", "PAID", "SHIPPED"}
    assert body["statusText"] == "Shipped" and re.fullmatch(r"[A-Z0-9]{8,20}", body["trackingId"])
    assert body["final"] is True
    shipped = web.get(f"/orders/{order_id}").text
    assert body["trackingId"] in shipped and 'data-final="true"' in shipped
    assert "<h1>Your order</h1>" in shipped, "later views do not thank again"


def test_the_order_has_the_totals_the_cart_page_showed_in_euros(web, product):
    web.set_cookie("shop_currency", "EUR")
    add(web, product.id, 3)
    cart = web.get("/cart").text
    expected = [shown_amount(cart, name) for name in ("subtotal", "shipping", "total")]
    assert all(amount.startswith("€") for amount in expected)
    order = web.get(f"/orders/{placed_order_id(submit(web))}").text
    assert shown_amount(order, "total") == expected[2]
    assert f"<dd>{expected[0]}</dd>" in order and f"<dd>{expected[1]}</dd>" in order


def test_a_declined_card_brings_the_form_back_with_a_message_at_the_card(web, product):
    add(web, product.id)
    reply = submit(web, card_number="4000 0000 0000 0002", email="grace@example.com", city="Cambridge")
    assert reply.status_code == 400
    assert field_error(reply.text, "card_number") == "Your card was declined. Please try another card."
    assert 'id="f-card_number"' in reply.text and 'aria-invalid="true" aria-describedby="e-card_number"' in reply.text
    assert input_value(reply.text, "email") == "grace@example.com" and input_value(reply.text, "city") == "Cambridge"
    assert input_value(reply.text, "card_number") == "" and input_value(reply.text, "card_cvv") == ""
    shown_anyway = web.get("/cart").text.count("4000 0000 0000 0002")  # the page's list of test cards
    assert reply.text.count("4000 0000 0000 0002") == shown_anyway and "4000000000000002" not in reply.text, \
        "the card number is never sent back"
    assert reply.headers["Cache-Control"] == "no-store"
    assert line_row(reply.text, product.id), "the cart is still there"


def test_insufficient_funds_is_a_message_at_the_card(web, product):
    add(web, product.id)
    reply = submit(web, card_number="4000 0000 0000 9995")
    assert reply.status_code == 400 and "insufficient funds" in field_error(reply.text, "card_number")


def test_a_product_out_of_stock_is_a_message_at_its_line(web, product, catalog_channel):
    scarce = create_product(catalog_channel, stock=1)
    add(web, product.id)
    add(web, scarce.id, 2)
    reply = submit(web)
    assert reply.status_code == 400
    row = line_row(reply.text, scarce.id)
    assert 'class="field-error line-error"' in row and "line-error" not in line_row(reply.text, product.id)
    assert "see the marked items" in reply.text


def test_an_invalid_postal_code_is_a_message_at_that_field(web, product):
    add(web, product.id)
    reply = submit(web, postal_code="ABCDE")
    assert reply.status_code == 400
    message = field_error(reply.text, "postal_code")
    assert message.startswith("Postal code") and input_value(reply.text, "postal_code") == "ABCDE"


def test_an_invalid_email_is_a_message_at_that_field(web, product):
    add(web, product.id)
    reply = submit(web, email="not-an-email")
    assert reply.status_code == 400 and field_error(reply.text, "email").startswith("Email")
    assert input_value(reply.text, "email") == "not-an-email"


def test_an_expiry_that_is_not_numbers_is_a_message_at_the_expiry(web, product):
    add(web, product.id)
    reply = submit(web, card_expiry_month="December")
    assert reply.status_code == 400 and "expiry month and year" in field_error(reply.text, "card_expiry")


def test_checking_out_a_cart_emptied_meanwhile_says_so(web, product):
    add(web, product.id)
    form = checkout_form(web.get("/cart").text)
    web.post("/cart/empty", data={"csrf_token": form["csrf_token"]})  # in another tab
    reply = web.post("/checkout", data=form)
    assert reply.status_code == 400 and "Your cart is empty: add something" in reply.text


def test_a_double_submit_places_one_order(web, product):
    add(web, product.id)
    form = checkout_form(web.get("/cart").text)
    first = placed_order_id(web.post("/checkout", data=form))
    second = placed_order_id(web.post("/checkout", data=form))
    assert first == second


def test_another_visitors_order_is_not_found(frontend_app, web, product):
    add(web, product.id)
    order_id = placed_order_id(submit(web))
    stranger = frontend_app.test_client()
    assert stranger.get(f"/orders/{order_id}").status_code == 404
    status = stranger.get(f"/orders/{order_id}/status")
    assert status.status_code == 404 and status.get_json() == {"error": "not found"}


@pytest.mark.parametrize("order_id", ["no-such-order", "x" * 300])
def test_an_unknown_order_is_not_found(web, order_id):
    assert web.get(f"/orders/{order_id}").status_code == 404
    assert web.get(f"/orders/{order_id}/status").status_code == 404


def test_a_checkout_without_its_csrf_token_is_refused(web, product):
    add(web, product.id)
    form = checkout_form(web.get("/cart").text)
    del form["csrf_token"]
    assert web.post("/checkout", data=form).status_code == 400


def test_checkout_away_is_a_friendly_503_and_the_cart_stays(frontend_config, product):
    away = replace(frontend_config, checkout_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    app = create_app(away)
    try:
        web = app.test_client()
        page = web.get("/cart").text
        web.post("/cart/items", data={"csrf_token": csrf_token(page), "product_id": product.id, "quantity": "1"})
        reply = web.post("/checkout", data=checkout_form(web.get("/cart").text))
        assert reply.status_code == 503 and "We cannot reach checkout and orders right now" in reply.text
        assert "Traceback" not in reply.text and line_row(web.get("/cart").text, product.id)
    finally:
        app.extensions["backends"].close()
