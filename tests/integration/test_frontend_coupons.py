"""A coupon code on the website (decision 0016), over the real services: the cart's code
field, the discount line in the cart's totals and on the order page, a refused code that
leaves the cart as it was, and a code used up before checkout that the checkout names."""
from __future__ import annotations

import html
import re
import uuid

import pytest

from shop.catalog.v1 import coupons_pb2, coupons_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd
from tests.integration.test_frontend_cart import add, post, shown_amount
from tests.integration.test_frontend_checkout import placed_order_id, submit


@pytest.fixture
def kettle(catalog_channel):
    return create_product(catalog_channel, stock=500, price=usd(40), categories=("kitchen",))


def make_code(catalog_channel, **fields) -> str:
    return coupons_pb2_grpc.CouponServiceStub(catalog_channel).CreateCoupon(coupons_pb2.CreateCouponRequest(
        coupon=coupons_pb2.Coupon(code=f"WEB-{uuid.uuid4().hex[:6].upper()}", **fields)), timeout=5).coupon.code


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', page)]


def test_a_code_applied_in_the_cart_shows_its_discount_and_goes_with_the_order(web, kettle, catalog_channel):
    code = make_code(catalog_channel, percent_off=25, categories=["kitchen"])
    add(web, kettle.id, 2)
    applied = post(web, "/cart/coupon", {"coupon_code": code.lower()})
    assert applied.status_code == 303
    page = web.get("/cart").text
    assert f"The code {code} is applied." in flashes(page)
    assert shown_amount(page, "subtotal") == "$80.00" and shown_amount(page, "discount") == "-$20.00"
    assert f"{code}: 25% off kitchen" in page

    order_id = placed_order_id(submit(web))
    order_page = web.get(f"/orders/{order_id}").text
    assert shown_amount(order_page, "discount") == "-$20.00" and f"{code}: 25% off kitchen" in order_page
    add(web, kettle.id)  # the code went with the order: the next cart starts without one
    after = web.get("/cart").text
    assert "Have a code?" in after and 'id="discount"' not in after


def test_a_code_that_does_not_apply_is_said_and_the_cart_stays(web, kettle, catalog_channel):
    add(web, kettle.id)
    post(web, "/cart/coupon", {"coupon_code": "NOPE-404"})
    page = web.get("/cart").text
    assert "The code NOPE-404 is not a code we know. Your cart is as it was." in flashes(page)
    assert 'id="discount"' not in page and "Have a code?" in page
    outdoors = make_code(catalog_channel, percent_off=10, categories=["outdoors"])
    post(web, "/cart/coupon", {"coupon_code": outdoors})
    assert (f"The code {outdoors} does not apply to anything in this cart. Your cart is as it was."
            in flashes(web.get("/cart").text))


def test_a_code_used_up_meanwhile_is_shown_as_such_and_checkout_names_it(web, kettle, catalog_channel, frontend_app):
    code = make_code(catalog_channel, amount_off=usd(5), total_limit=1)
    add(web, kettle.id)
    post(web, "/cart/coupon", {"coupon_code": code})
    other = frontend_app.test_client()
    add(other, kettle.id)
    post(other, "/cart/coupon", {"coupon_code": code})
    placed_order_id(submit(other))  # the other shopper uses it first

    page = web.get("/cart").text
    assert f"The code {code} has been used up." in page and 'id="discount"' not in page
    refused = submit(web)
    assert refused.status_code == 400
    assert f"The code {code} has been used up. Remove the code, or change your cart, and order again." in \
        html.unescape(refused.text)
    post(web, "/cart/coupon/remove")
    assert "The code is removed." in flashes(web.get("/cart").text)
    placed_order_id(submit(web))


def test_a_promotion_fitting_the_product_or_cart_is_shown(web, kettle, catalog_channel):
    code = make_code(catalog_channel, percent_off=15, categories=["kitchen"], banner="15% off the kitchen this week")
    page = web.get(f"/products/{kettle.id}").text
    assert '<aside class="promotion" role="note"><strong>15% off the kitchen this week</strong>' in page
    assert f"<code>{code}</code>" in page
    add(web, kettle.id)
    assert "15% off the kitchen this week" in web.get("/cart").text
    post(web, "/cart/coupon", {"coupon_code": code})
    assert '<aside class="promotion"' not in web.get("/cart").text  # a cart with a code is not sold another
