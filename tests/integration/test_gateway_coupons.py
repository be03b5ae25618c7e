"""Coupons through the public API (KrakenD in front of the real services): an admin makes
a code and sees its redemptions; a customer applies it to their cart, sees it in the cart
and the order, and removes one; a refused code is a 400 with the reason, the cart as it
was; customers cannot reach the admin endpoints."""
from __future__ import annotations

import uuid

from tests.support.gateway import ADDRESS, GOOD_CARD, User, signed_in, stock_a_product
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD


def admin_of(gateway) -> User:
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    return admin


def test_a_customer_applies_an_admins_code_and_the_order_carries_the_discount(gateway):
    admin = admin_of(gateway)
    code = f"API-{uuid.uuid4().hex[:6].upper()}"
    made = admin.call("POST", "/api/v1/admin/coupons", {"code": code, "percentOff": 10, "totalLimit": 3})
    assert made.status == 200, made.body
    assert made.json()["coupon"]["code"] == code and made.json()["coupon"].get("redemptions", 0) == 0

    product = stock_a_product(gateway)  # 24.50 USD
    user = signed_in(gateway, "coupon")
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 2}).status == 200
    refused = user.call("PUT", "/api/v1/cart/coupon", {"couponCode": "NOPE-404"})
    assert refused.status == 400 and refused.json()["error"]["message"] == "the code NOPE-404 is not a code we know"
    applied = user.call("PUT", "/api/v1/cart/coupon", {"couponCode": code.lower(), "currencyCode": "USD"})
    assert applied.status == 200 and applied.json()["cart"]["couponCode"] == code

    placed = user.call("POST", "/api/v1/orders", {"currencyCode": "USD", "address": ADDRESS, "email": user.email,
                                                 "creditCard": GOOD_CARD})
    assert placed.status == 200, placed.body
    order = placed.json()["order"]
    assert order["discounts"] == [{"code": code, "description": "10% off",
                                   "amount": {"currencyCode": "USD", "units": "4", "nanos": 900000000}}]
    assert order["discountTotal"]["units"] == "4"
    assert user.call("GET", "/api/v1/cart").json()["cart"]["couponCode"] == ""

    listed = admin.call("GET", "/api/v1/admin/coupons?page_size=100").json()["coupons"]
    assert next(c for c in listed if c["code"] == code)["redemptions"] == 1
    assert admin.call("DELETE", f"/api/v1/admin/coupons/{code}").status == 200
    assert admin.call("DELETE", f"/api/v1/admin/coupons/{code}").status == 404


def test_a_code_is_removed_and_admin_coupons_are_for_admins(gateway):
    user = signed_in(gateway, "coupon-remove")
    product = stock_a_product(gateway)
    user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 1})
    admin = admin_of(gateway)
    code = admin.call("POST", "/api/v1/admin/coupons", {
        "code": f"RM-{uuid.uuid4().hex[:6].upper()}", "amountOff": {"currencyCode": "USD", "units": "2"}}).json()[
        "coupon"]["code"]
    assert user.call("PUT", "/api/v1/cart/coupon", {"couponCode": code}).status == 200
    removed = user.call("DELETE", "/api/v1/cart/coupon")
    assert removed.status == 200 and removed.json()["cart"]["couponCode"] == ""
    assert user.call("POST", "/api/v1/admin/coupons", {"code": "SNEAKY-1", "percentOff": 99}).status == 403
    assert user.call("GET", "/api/v1/admin/coupons").status == 403
    both = admin.call("POST", "/api/v1/admin/coupons", {"code": f"BAD-{uuid.uuid4().hex[:4]}", "percentOff": 5,
                                                       "amountOff": {"currencyCode": "USD", "units": "1"}})
    assert both.status == 400 and "one of the two" in both.json()["error"]["message"]
