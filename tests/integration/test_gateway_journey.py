"""A customer's whole visit through the public API, with plain HTTP: KrakenD in front of the
real services. An admin stocks a product; the customer registers, logs in, browses, fills
a cart, orders, sees the order, refreshes the token, logs out, and the old refresh token is
refused."""
from __future__ import annotations

import time
import uuid

from tests.support.gateway import (ACCESS_AUDIENCE, ADDRESS, GOOD_CARD, ISSUER, REFRESH_AUDIENCE, User, register,
                                   stock_a_product, token_claims)
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD

def wait_for_status(user: User, order_id: str, wanted: set[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        order = user.call("GET", f"/api/v1/orders/{order_id}").json()["order"]
        if order["status"] in wanted or time.monotonic() > deadline:
            return order
        time.sleep(0.2)


def test_a_customer_shops_from_registration_to_logout(gateway):
    product = stock_a_product(gateway, name=f"Journey Teapot {uuid.uuid4().hex[:6]}")

    user = register(gateway, "journey", display_name="Ada")
    assert user.login().status == 200
    access, refresh = token_claims(user.access_token), token_claims(user.refresh_token)
    assert (access["sub"], access["iss"], access["aud"]) == (user.id, ISSUER, ACCESS_AUDIENCE)
    assert access["exp"] - access["iat"] == 900 and "customer" in access["roles"]
    assert (refresh["sub"], refresh["aud"]) == (user.id, REFRESH_AUDIENCE)
    assert user.profile["email"] == user.email and user.profile["displayName"] == "Ada"
    assert user.call("GET", "/api/v1/me").json()["user"]["id"] == user.id

    # Browse and search, anonymously.
    listing = gateway.call("GET", "/api/v1/products?page_size=3")
    assert listing.status == 200 and len(listing.json()["products"]) == 3 and listing.json()["nextPageToken"]
    found = gateway.call("GET", "/api/v1/search?query=" + product["name"].replace(" ", "+")).json()
    assert product["id"] in [p["id"] for p in found["products"]]
    assert gateway.call("GET", f"/api/v1/products/{product['id']}").json()["product"]["stock"] == 10
    assert gateway.call("GET", "/api/v1/categories").status == 200
    assert gateway.call("GET", "/api/v1/currencies").status == 200

    # Fill the cart, change a quantity, get a quote.
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 1}).status == 200
    assert user.call("PUT", f"/api/v1/cart/items/{product['id']}", {"quantity": 2}).status == 200
    cart = user.call("GET", "/api/v1/cart").json()["cart"]
    assert [(line["productId"], line["quantity"]) for line in cart["items"]] == [(product["id"], 2)]
    quote = gateway.call("POST", "/api/v1/shipping/quote", {
        "address": ADDRESS, "items": [{"productId": product["id"], "quantity": 2}], "currencyCode": "USD",
        "subtotal": {"currencyCode": "USD", "units": "49", "nanos": 0}})
    assert quote.status == 200 and quote.json()["cost"]["currencyCode"] == "USD"

    # Order, and find it in the list.
    placed = user.call("POST", "/api/v1/orders", {"currencyCode": "USD", "address": ADDRESS, "email": user.email,
                                                 "creditCard": GOOD_CARD})
    assert placed.status == 200, placed.body
    order = placed.json()["order"]
    assert order["userId"] == user.id and order["status"] == "ORDER_STATUS_PLACED"
    assert order["total"]["currencyCode"] == "USD"
    listed = user.call("GET", "/api/v1/orders").json()["orders"]
    assert [o["id"] for o in listed] == [order["id"]]
    assert user.call("GET", "/api/v1/cart").json()["cart"].get("items", []) == []
    shipped = wait_for_status(user, order["id"], {"ORDER_STATUS_SHIPPED"})
    assert shipped["status"] == "ORDER_STATUS_SHIPPED" and shipped["trackingId"]

    # Refresh: new tokens, and the new access token works.
    first_refresh = user.refresh_token
    assert user.refresh().status == 200
    assert user.refresh_token != first_refresh
    assert token_claims(user.access_token)["sub"] == user.id
    assert user.call("GET", "/api/v1/orders").status == 200

    # Log out: the refresh token of this session, old or current, is refused from now on.
    current_refresh = user.refresh_token
    assert user.call("POST", "/api/v1/logout").status == 200
    for refresh_token in (current_refresh, first_refresh):
        refused = user.refresh(refresh_token)
        assert refused.status == 401, refused.body
        assert refused.json()["error_identity"]["http_status_code"] == 401


def test_a_products_image_loads_from_the_gateway_at_its_image_url(gateway):
    product = gateway.call("GET", "/api/v1/products/stoneware-mug").json()["product"]
    assert product["imageUrl"].startswith("/images/products/")
    image = gateway.call("GET", product["imageUrl"])
    assert image.status == 200 and image.headers["Content-Type"].startswith("image/svg+xml")
    assert image.body.lstrip().startswith(b"<svg") or b"<svg" in image.body[:200]
    assert gateway.call("GET", "/images/products/no-such-image.svg").status == 404


def test_an_admin_patch_changes_only_the_fields_it_sends(gateway):
    """AIP-134 through the gateway: without update_mask, a PATCH changes the fields its body
    names and nothing else, and a field sent as 0 is set to 0."""
    product = stock_a_product(gateway, stock=7)
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    path = f"/api/v1/admin/products/{product['id']}"
    renamed = admin.call("PATCH", path, {"name": "Renamed Teapot"})
    assert renamed.status == 200, renamed.body
    after = renamed.json()["product"]
    assert (after["name"], after["stock"], after["price"], after["categories"], after["description"]) == \
        ("Renamed Teapot", 7, product["price"], product["categories"], product["description"])
    sold_out = admin.call("PATCH", path, {"stock": 0})
    assert sold_out.status == 200 and sold_out.json()["product"]["stock"] == 0
    assert sold_out.json()["product"]["name"] == "Renamed Teapot"
    masked = admin.call("PATCH", path + "?update_mask=stock", {"stock": 3, "name": "Ignored"})
    assert masked.status == 200 and (masked.json()["product"]["stock"], masked.json()["product"]["name"]) == \
        (3, "Renamed Teapot")
