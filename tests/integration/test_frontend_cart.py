"""The cart page: lines added, changed, removed and emptied through its forms, refusals
as messages, and totals in the visitor's currency as the order will have them."""
from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from frontend import create_app
from shop.catalog.v1 import currency_pb2, currency_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd
from tests.support.net import free_port


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post(web, url: str, data: dict | None = None, **kwargs):
    """A form post with the visitor's CSRF token, as the page's forms send it."""
    return web.post(url, data={"csrf_token": csrf_token(web.get("/cart").text), **(data or {})}, **kwargs)


class _FormInputs(HTMLParser):
    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values = action, False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif tag == "input" and self.inside and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def checkout_form(page: str) -> dict:
    """The checkout form's fields as the page fills them in (hidden ones included)."""
    parser = _FormInputs("/checkout")
    parser.feed(page)
    return parser.values


def add(web, product_id: str, quantity: int = 1):
    return post(web, "/cart/items", {"product_id": product_id, "quantity": str(quantity)})


def line_row(page: str, product_id: str) -> str:
    match = re.search(rf'<tr class="cart-line[^"]*" id="line-{re.escape(product_id)}">(.*?)</tr>', page, re.S)
    return match.group(1) if match else ""


def shown_amount(page: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', page).group(1).strip()


@pytest.fixture
def product(catalog_channel):
    return create_product(catalog_channel, stock=500, price=usd(9, 990_000_000))


def test_an_empty_cart_says_so(web):
    page = web.get("/cart")
    assert page.status_code == 200 and "Your cart is empty" in page.text and "/checkout" not in page.text


def test_adding_a_product_redirects_to_the_cart_with_a_message(web, product):
    added = add(web, product.id, 2)
    assert added.status_code == 303 and added.headers["Location"] == "/cart"
    page = web.get("/cart").text
    assert "Added to your cart." in page
    row = line_row(page, product.id)
    assert product.name in row and 'value="2"' in row and "$9.99" in row and "$19.98" in row
    assert 'src="/images/products/' in row


def test_adding_again_adds_units_to_the_line(web, product):
    add(web, product.id, 2)
    add(web, product.id, 3)
    assert 'value="5"' in line_row(web.get("/cart").text, product.id)


def test_a_lines_quantity_can_be_changed_and_zero_removes_it(web, product):
    add(web, product.id)
    changed = post(web, f"/cart/items/{product.id}", {"quantity": "4"})
    assert changed.status_code == 303
    page = web.get("/cart").text
    assert "Quantity updated." in page and 'value="4"' in line_row(page, product.id)
    post(web, f"/cart/items/{product.id}", {"quantity": "0"})
    page = web.get("/cart").text
    assert "Removed from your cart." in page and "Your cart is empty" in page


def test_a_line_can_be_removed(web, product, catalog_channel):
    other = create_product(catalog_channel, stock=50)
    add(web, product.id)
    add(web, other.id)
    assert post(web, f"/cart/items/{product.id}/remove").status_code == 303
    page = web.get("/cart").text
    assert not line_row(page, product.id) and line_row(page, other.id)


def test_the_cart_can_be_emptied(web, product):
    add(web, product.id, 3)
    assert post(web, "/cart/empty").status_code == 303
    assert "Your cart is empty" in web.get("/cart").text


def test_a_refusal_of_the_cart_service_is_a_message_not_an_error_page(web, product):
    add(web, product.id, 99)
    too_many = add(web, product.id, 1)
    assert too_many.status_code == 303
    page = web.get("/cart").text
    assert "We could not change your cart" in page and "at most 99" in page and 'value="99"' in line_row(page, product.id)


def test_an_unknown_product_is_a_message(web):
    assert add(web, "no-such-product").status_code == 303
    page = web.get("/cart").text
    assert "That product is not in the shop any more." in page and "Your cart is empty" in page


@pytest.mark.parametrize("quantity", ["0", "100", "two", ""])
def test_a_quantity_out_of_range_is_a_message(web, product, quantity):
    assert post(web, "/cart/items", {"product_id": product.id, "quantity": quantity}).status_code == 303
    assert "Choose a quantity from 1 to 99." in web.get("/cart").text


def test_a_bad_new_quantity_is_a_message(web, product):
    add(web, product.id)
    post(web, f"/cart/items/{product.id}", {"quantity": "-3"})
    assert "Choose a quantity from 0" in web.get("/cart").text


def test_a_post_without_its_csrf_token_is_refused(web, product):
    assert web.post("/cart/items", data={"product_id": product.id}).status_code == 400


def test_the_totals_in_dollars_include_the_shipping_quote(web, product):
    add(web, product.id, 2)
    page = web.get("/cart").text
    # The demo address is in the US: 4.99 base + 2 × 0.99 per item (below the free 50.00).
    assert (shown_amount(page, "subtotal"), shown_amount(page, "shipping"), shown_amount(page, "total")) == \
        ("$19.98", "$6.97", "$26.95")
    assert "Place order · $26.95" in page


def test_the_totals_in_euros_use_the_converted_unit_price(web, product, catalog_channel):
    converted = currency_pb2_grpc.CurrencyServiceStub(catalog_channel).Convert(
        currency_pb2.ConvertRequest(**{"from": product.price}, to_currency_code="EUR"), timeout=5).money
    unit = converted.units + converted.nanos / 1e9
    web.set_cookie("shop_currency", "EUR")
    add(web, product.id, 3)
    page = web.get("/cart").text
    assert f"€{unit:,.2f}" in line_row(page, product.id)
    assert shown_amount(page, "subtotal") == f"€{unit * 3:,.2f}"
    assert shown_amount(page, "shipping").startswith("€") and shown_amount(page, "total").startswith("€")


def test_the_checkout_form_is_prefilled_and_lists_the_test_cards(web, product):
    add(web, product.id)
    page = web.get("/cart").text
    form = checkout_form(page)
    assert form["card_number"] == "4242 4242 4242 4242" and form["email"] and form["postal_code"]
    assert re.fullmatch(r"[0-9a-f]{32}", form["request_id"])
    assert "4000 0000 0000 0002" in page and "4000 0000 0000 0341" in page
    for input_id in re.findall(r'<input id="([^"]+)"', page):
        assert f'for="{input_id}"' in page, f"input {input_id} has no label"
    assert checkout_form(web.get("/cart").text)["request_id"] != form["request_id"], "a new key per form"


def test_the_page_loads_nothing_from_the_internet(web, product):
    add(web, product.id)
    page = web.get("/cart").text
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert 'href="/static/css/cart.css"' in page and web.get("/static/css/cart.css").status_code == 200


def test_the_cart_page_is_a_503_while_the_cart_service_is_away(frontend_config):
    away = replace(frontend_config, cart_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    app = create_app(away)
    try:
        reply = app.test_client().get("/cart")
        assert reply.status_code == 503 and "We cannot reach the shopping cart right now" in reply.text
    finally:
        app.extensions["backends"].close()
