"""A shopper's journeys in Chromium: browse, search, buy and watch the order ship; a
declined card; an item that sold out meanwhile; signing in with a cart; another currency."""
from __future__ import annotations

import re
import uuid

import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from playwright.sync_api import expect

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.e2e.conftest import screenshot
from tests.integration.catalog_helpers import create_product
from tests.support import identity as identity_support


def a_product(catalog_channel, stock: int = 10) -> catalog_pb2.Product:
    return create_product(catalog_channel, stock=stock, name=f"Walnut Serving Board {uuid.uuid4().hex[:6]}")


def add_to_cart(page, product, quantity: int = 1) -> None:
    page.goto(f"/products/{product.id}")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def line(page, product):
    return page.locator(f"#line-{product.id}")


def test_a_shopper_browses_searches_buys_and_watches_the_order_ship(page, catalog_channel):
    product = a_product(catalog_channel)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("All products")
    expect(page.locator(".product-card").first).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("link", name="Kitchen", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kitchen")

    page.get_by_label("Search products").fill(product.name)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=product.name)).to_be_visible()
    screenshot(page, "search")

    page.get_by_role("link", name=product.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(product.name)
    screenshot(page, "product")
    page.get_by_role("button", name="Add to cart").click()
    expect(line(page, product)).to_be_visible()

    line(page, product).get_by_label(f"Quantity of {product.name}").fill("2")
    line(page, product).get_by_role("button", name="Update").click()
    expect(line(page, product).get_by_label(f"Quantity of {product.name}")).to_have_value("2")
    expect(page.locator("#subtotal")).to_have_text("$19.98")
    screenshot(page, "cart")

    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")
    expect(page.locator("#order-status")).to_have_text("Shipped", timeout=45_000)  # no reload: the page polls
    expect(page.locator("#tracking-id")).to_have_text(re.compile(r"^[A-Z]{2}\d{9}[A-Z]{2}$"))
    screenshot(page, "order-shipped")


def test_a_declined_card_brings_the_form_back_with_the_message_at_the_card(page, catalog_channel):
    product = a_product(catalog_channel)
    page.goto("/")
    add_to_cart(page, product)
    page.get_by_label("Email").fill("declined-shopper@example.com")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name=re.compile("Place order")).click()
    card = page.get_by_label("Card number")
    expect(card).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-card_number")).to_contain_text("declined")
    expect(page.get_by_label("Email")).to_have_value("declined-shopper@example.com")
    expect(card).to_have_value("")  # the card number is never sent back to the browser
    screenshot(page, "checkout-declined")


def test_an_item_that_sold_out_meanwhile_is_named_at_its_line(page, catalog_channel):
    product = a_product(catalog_channel, stock=2)
    page.goto("/")
    add_to_cart(page, product, quantity=2)
    catalog_pb2_grpc.CatalogServiceStub(catalog_channel).UpdateProduct(catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=product.id, stock=1), update_mask=FieldMask(paths=["stock"])), timeout=5)
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(line(page, product).locator(".line-error")).to_be_visible()
    expect(page.locator("#checkout-problem")).to_be_visible()
    screenshot(page, "checkout-out-of-stock")


def test_an_out_of_stock_product_cannot_be_added(page, catalog_channel):
    product = a_product(catalog_channel, stock=0)
    page.goto(f"/products/{product.id}")
    expect(page.locator("#stock-state")).to_have_text(re.compile("out of stock", re.IGNORECASE))
    expect(page.get_by_role("button", name="Add to cart")).to_be_disabled()


def test_signing_in_brings_the_guest_cart_along(page, catalog_channel, identity_channel):
    email = identity_support.unique_email("e2e")
    identity_support.register(identity_channel, email)
    product = a_product(catalog_channel)
    page.goto("/")
    add_to_cart(page, product, quantity=3)

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(identity_support.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator(".cart-link .count")).to_have_text("3")
    page.goto("/cart")
    expect(line(page, product).get_by_label(f"Quantity of {product.name}")).to_have_value("3")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.locator(".cart-link .count")).to_have_text("0")


def test_registering_signs_the_new_customer_in(page):
    page.goto("/register")
    page.get_by_label("Email address").fill(identity_support.unique_email("e2e-new"))
    page.get_by_label("Your name").fill("Grace")
    page.get_by_label("Password").fill("a-long-Passphrase-42")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    screenshot(page, "account")


def test_another_currency_changes_every_price(page, catalog_channel):
    product = a_product(catalog_channel)
    page.goto("/")
    add_to_cart(page, product)
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_role("button", name="Set").click()
    expect(page.locator("#subtotal")).to_have_text(re.compile("^€"))
    expect(page.locator("#total")).to_have_text(re.compile("^€"))
    page.goto(f"/products/{product.id}")
    expect(page.locator(".product-page .price, main .price").first).to_have_text(re.compile("^€"))
    page.goto("/")
    prices = page.locator(".product-card .price").all_inner_texts()
    assert prices and all(p.startswith("€") for p in prices), prices


@pytest.mark.parametrize("path", ["/", "/products/stoneware-mug", "/cart", "/login", "/register"])
def test_pages_fit_a_phone_and_label_what_they_show(phone, path):
    phone.goto(path)
    overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{path} scrolls sideways by {overflow}px on a phone"
    missing_alt = phone.evaluate("[...document.images].filter(i => !i.hasAttribute('alt')).length")
    unlabelled = phone.evaluate("""[...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.name || e.id)""")
    assert missing_alt == 0 and unlabelled == [], (path, missing_alt, unlabelled)
    screenshot(phone, "phone" + (path.replace("/", "-") if path != "/" else "-home"))
