"""What the gateway refuses, and how: tokens that are forged, expired, unsigned, for
another audience or issuer (401); a customer on admin endpoints (403); another user's
order or cart (never reachable: the user id comes from the token); too many registrations
from one client (429), and too many sign-ins. And backend errors keep their status and JSON body."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from jwcrypto import jwk

from tests.support.gateway import (ADDRESS, GOOD_CARD, REFRESH_AUDIENCE, User, claims, new_email, register, sign,
                                   signed_in, stock_a_product, unsigned)
from tests.support.http import request_from
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, LOGIN_RATE_PER_CLIENT

ADMIN_ENDPOINTS = [
    ("POST", "/api/v1/admin/products", {"name": "x"}),
    ("PATCH", "/api/v1/admin/products/stoneware-mug", {"name": "x"}),
    ("DELETE", "/api/v1/admin/products/stoneware-mug", None),
    ("GET", "/api/v1/admin/orders", None),
    ("GET", "/api/v1/admin/orders/some-order", None),
    ("POST", "/api/v1/admin/orders/some-order/cancel", {}),
    ("GET", "/api/v1/admin/users", None),
    ("PUT", "/api/v1/admin/users/some-user/roles", {"roles": ["admin"]}),
    ("POST", "/api/v1/admin/users/some-user/lock", {"reason": "x"}),
    ("POST", "/api/v1/admin/users/some-user/unlock", {}),
]


@pytest.fixture(scope="module")
def customer(gateway) -> User:
    return signed_in(gateway, "refusals")


@pytest.fixture(scope="module")
def key(gateway) -> jwk.JWK:
    return gateway.signing_key()


def cart_with(gateway, token: str):
    return gateway.call("GET", "/api/v1/cart", token=token)


def test_a_token_made_with_the_gateways_key_is_accepted(gateway, customer, key):
    """The control for the refusals below: the same claims, rightly signed, pass."""
    reply = cart_with(gateway, sign(key, claims(customer.id)))
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_a_missing_or_malformed_token_is_401(gateway, token):
    assert cart_with(gateway, token).status == 401


def test_a_token_signed_by_another_key_is_401(gateway, customer):
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    assert cart_with(gateway, sign(stranger, claims(customer.id))).status == 401


def test_a_token_from_another_issuer_is_401(gateway, customer, key):
    assert cart_with(gateway, sign(key, claims(customer.id, issuer="someone-else"))).status == 401


def test_an_expired_token_is_401(gateway, customer, key):
    an_hour_ago = int(time.time()) - 3600
    assert cart_with(gateway, sign(key, claims(customer.id, issued=an_hour_ago - 900))).status == 401


def test_an_unsigned_token_is_401(gateway, customer):
    assert cart_with(gateway, unsigned(claims(customer.id))).status == 401


def without(payload: dict, name: str) -> dict:
    return {claim: value for claim, value in payload.items() if claim != name}


def _odd_tokens():
    """Tokens that differ from a good one in one header field or claim; each rightly signed."""
    now = int(time.time())
    return {
        "a kid no key has": lambda key, good: sign(key, good, kid="retired-key"),
        "an empty kid": lambda key, good: sign(key, good, kid=""),
        "no exp": lambda key, good: sign(key, without(good, "exp")),
        "no iat": lambda key, good: sign(key, without(good, "iat")),
        "an iat an hour ahead": lambda key, good: sign(key, {**good, "iat": now + 3600, "exp": now + 4500}),
        "an exp that is not a number": lambda key, good: sign(key, {**good, "exp": str(good["exp"])}),
        "no sub": lambda key, good: sign(key, without(good, "sub")),
        "an empty sub": lambda key, good: sign(key, {**good, "sub": ""}),
    }


@pytest.mark.parametrize("oddity", list(_odd_tokens()))
def test_a_rightly_signed_token_with_one_odd_field_is_401_with_a_json_error(gateway, customer, key, oddity):
    """Required: a known key id, and sub, exp and iat (iat not ahead of now); see ADR 0005."""
    reply = cart_with(gateway, _odd_tokens()[oddity](key, claims(customer.id)))
    assert reply.status == 401, (oddity, reply.status, reply.body)
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.headers
    assert reply.json() == {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                      "message": "a valid access token is required"}}


def test_the_gateways_403_has_the_json_error_body(gateway, customer):
    reply = customer.call("GET", "/api/v1/admin/users")
    assert reply.status == 403
    assert reply.json()["error"]["status"] == "PERMISSION_DENIED"


def test_an_hmac_token_keyed_with_the_public_key_is_401(gateway, customer, key):
    """The algorithm-confusion attack: HS256 with the RSA public key as the secret."""
    public_pem = key.export_to_pem(private_key=False)
    hmac_key = jwk.JWK(kty="oct", k=jwk.base64url_encode(public_pem))
    assert cart_with(gateway, sign(hmac_key, claims(customer.id), alg="HS256")).status == 401


def test_a_refresh_token_is_not_an_access_token(gateway, customer):
    assert cart_with(gateway, customer.refresh_token).status == 401


def test_an_access_token_is_not_a_refresh_token(gateway, customer, key):
    assert customer.refresh(customer.access_token).status == 401
    forged_refresh = sign(key, claims(customer.id, audience=REFRESH_AUDIENCE))
    refused = customer.refresh(forged_refresh)  # well signed, but no such session
    assert refused.status == 401
    assert refused.json()["error_identity"]["http_status_code"] == 401


@pytest.mark.parametrize("method, path, body", ADMIN_ENDPOINTS)
def test_a_customer_on_an_admin_endpoint_is_403(gateway, customer, method, path, body):
    assert customer.call(method, path, body).status == 403


def test_an_admin_may_list_users_and_set_roles(gateway):
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    listing = admin.call("GET", "/api/v1/admin/users?page_size=2")
    assert listing.status == 200 and len(listing.json()["users"]) <= 2

    promoted = register(gateway, "promoted")
    reply = admin.call("PUT", f"/api/v1/admin/users/{promoted.id}/roles", {"roles": ["customer", "admin"]})
    assert reply.status == 200, reply.body
    assert promoted.login().status == 200
    assert promoted.call("GET", "/api/v1/admin/users").status == 200


def test_an_admin_finds_a_user_locks_and_unlocks_them_and_a_locked_login_is_a_403(gateway):
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    user = signed_in(gateway, "lockable")
    found = admin.call("GET", "/api/v1/admin/users?query=" + user.email.split("@")[0].upper())
    assert found.status == 200, found.body
    assert [u["id"] for u in found.json()["users"]] == [user.id] and found.json()["totalSize"] == 1

    locked = admin.call("POST", f"/api/v1/admin/users/{user.id}/lock", {"reason": "chargeback"})
    assert locked.status == 200, locked.body
    assert (locked.json()["user"]["locked"], locked.json()["user"]["lockReason"]) == (True, "chargeback")
    refused = user.login()
    assert refused.status == 403, refused.body
    assert refused.headers.get("Content-Type", "").startswith("application/json")
    error = json.loads(refused.json()["error_identity"]["http_body"])["error"]
    assert (error["code"], error["status"], error["details"][0]["reason"]) == (
        403, "PERMISSION_DENIED", "ACCOUNT_LOCKED")
    assert error["message"].startswith("this account is locked by the shop")
    assert user.refresh().status == 401  # the lock ended the session

    unlocked = admin.call("POST", f"/api/v1/admin/users/{user.id}/unlock")
    assert unlocked.status == 200 and unlocked.json()["user"]["locked"] is False
    assert user.login().status == 200 and user.refresh().status == 200


def test_locking_an_unknown_user_is_404_and_a_bad_reason_or_search_400(gateway):
    """The refusals' JSON bodies pass through; the last-admin rule is tested over gRPC
    (tests/integration/test_identity_locks.py), where taking every other admin's role away
    for a moment disturbs no other test's gateway session."""
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    for verb in ("lock", "unlock"):
        unknown = admin.call("POST", f"/api/v1/admin/users/no-such-user/{verb}")
        assert unknown.status == 404 and unknown.json()["error"]["status"] == "NOT_FOUND", unknown.body
    bad = admin.call("POST", "/api/v1/admin/users/no-such-user/lock", {"reason": "x" * 201})
    assert bad.status == 400 and bad.json()["error"]["message"] == "reason must be at most 200 characters"
    search = admin.call("GET", "/api/v1/admin/users?query=a%00b")
    assert search.status == 400 and search.json()["error"]["message"] == "query must not contain control characters"


def test_another_users_order_is_not_found(gateway):
    product = stock_a_product(gateway)
    owner, other = signed_in(gateway, "owner"), signed_in(gateway, "other")
    assert owner.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 1}).status == 200
    placed = owner.call("POST", "/api/v1/orders", {"currencyCode": "USD", "address": ADDRESS, "email": owner.email,
                                                  "creditCard": GOOD_CARD})
    assert placed.status == 200, placed.body
    order_id = placed.json()["order"]["id"]

    assert owner.call("GET", f"/api/v1/orders/{order_id}").status == 200
    # The cancel is a bare POST: an action that needs no fields takes an empty body.
    for method, path in (("GET", f"/api/v1/orders/{order_id}"), ("POST", f"/api/v1/orders/{order_id}/cancel")):
        reply = other.call(method, path)
        assert reply.status == 404, (path, reply.body)
        assert reply.json()["error"]["status"] == "NOT_FOUND"
    assert other.call("GET", "/api/v1/orders").json().get("orders", []) == []


def test_a_cart_belongs_to_the_token_not_to_the_request(gateway):
    owner, other = signed_in(gateway, "cart-owner"), signed_in(gateway, "cart-other")
    assert owner.call("POST", "/api/v1/cart/items", {"productId": "stoneware-mug", "quantity": 2}).status == 200
    # Naming the owner in the body or the query changes nothing: the path comes from the token.
    smuggled = other.call("POST", f"/api/v1/cart/items?owner_id={owner.id}",
                          {"productId": "stoneware-mug", "quantity": 1, "ownerId": owner.id})
    assert smuggled.status == 200, smuggled.body
    assert [(i["productId"], i["quantity"]) for i in owner.call("GET", "/api/v1/cart").json()["cart"]["items"]] == [
        ("stoneware-mug", 2)]
    assert [(i["productId"], i["quantity"]) for i in other.call("GET", "/api/v1/cart").json()["cart"]["items"]] == [
        ("stoneware-mug", 1)]


def test_backend_errors_keep_their_status_and_json_body(gateway, customer):
    missing = gateway.call("GET", "/api/v1/products/no-such-product")
    assert missing.status == 404 and missing.json()["error"]["status"] == "NOT_FOUND"

    bad = customer.call("POST", "/api/v1/cart/items", {"productId": "stoneware-mug", "quantity": 0})
    assert bad.status == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"

    not_json = customer.call("POST", "/api/v1/cart/items", raw=b"{not json")
    assert not_json.status == 400 and not_json.json()["error"]["message"] == "the request body is not valid JSON"

    taken = gateway.call("POST", "/api/v1/users", {"email": customer.email, "password": customer.password})
    assert taken.status == 409 and taken.json()["error"]["status"] == "ALREADY_EXISTS"


def test_login_failures_look_the_same_for_a_wrong_password_and_an_unknown_email(gateway, customer):
    wrong = gateway.call("POST", "/api/v1/login", {"email": customer.email, "password": "not the password at all"})
    unknown = gateway.call("POST", "/api/v1/login", {"email": "nobody-" + customer.email,
                                                     "password": "not the password at all"})
    assert wrong.status == unknown.status == 401
    bodies = [json.loads(r.json()["error_identity"]["http_body"])["error"] for r in (wrong, unknown)]
    assert bodies[0] == bodies[1] and bodies[0]["status"] == "UNAUTHENTICATED"


def test_too_many_registrations_from_one_client_get_429(gateway):
    time.sleep(1.1)  # a full bucket, whatever ran before
    replies = [gateway.call("POST", "/api/v1/users", {}) for _ in range(12)]
    statuses = [reply.status for reply in replies]
    assert 429 in statuses, statuses
    assert set(statuses) <= {400, 429}, statuses  # an empty body is refused by the service
    limited = next(reply for reply in replies if reply.status == 429)  # the gateway's limiter, with a JSON body
    assert limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    time.sleep(1.1)  # leave the bucket full for whoever comes next
    assert gateway.call("POST", "/api/v1/users", {}).status == 400


def test_cors_lets_the_website_in_and_no_one_else(gateway):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = gateway.call("OPTIONS", "/api/v1/cart/items", headers={"Origin": "http://localhost:8080", **preflight})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://localhost:8080"
    assert "POST" in allowed.headers.get("Access-Control-Allow-Methods", "")
    foreign = gateway.call("OPTIONS", "/api/v1/cart/items", headers={"Origin": "https://evil.example", **preflight})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_health(gateway):
    reply = gateway.call("GET", "/__health")
    assert reply.status == 200 and reply.json()["status"] == "ok"


def _sign_in_burst(gateway, source: str, forged: bool, enough) -> list[int]:
    """More sign-ins than the per-client limit allows, from one loopback address, each
    thread sending once all are ready; with `forged`, each names itself a different client
    in X-Forwarded-For. The limit is a moving second, so a burst that a busy machine
    spreads over more than a second may pass: up to three bursts, until `enough(replies)`."""
    burst = int(LOGIN_RATE_PER_CLIENT.split("/")[0]) + 15
    ready = threading.Barrier(burst)

    def attempt(n):
        headers = {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"} if forged else {}
        ready.wait(timeout=30)
        return request_from(source, "POST", f"{gateway.url}/api/v1/login",
                            {"email": new_email("burst"), "password": "wrong password!"}, headers=headers)

    replies = []
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=burst) as pool:
            replies = list(pool.map(attempt, range(burst)))
        if enough(replies):
            break
    return replies


def test_too_many_sign_ins_from_one_client_get_429(gateway):
    """Login's limit per client lives in identityservice (KrakenD 1.4's signer skips the
    gateway's own limiter: docs/decisions/0005), keyed on the address that connected to
    the gateway. Each burst comes from a loopback address no other test uses."""
    replies = _sign_in_burst(gateway, "127.0.0.21", False, lambda replies: any(r.status == 429 for r in replies))
    assert {r.status for r in replies} == {401, 429}, sorted(r.status for r in replies)
    limited = json.loads(next(r for r in replies if r.status == 429).json()["error_identity"]["http_body"])["error"]
    assert limited["status"] == "RESOURCE_EXHAUSTED"
    assert limited["details"][0]["reason"] == "TOO_MANY_REQUESTS"
    # Another client is not held back by that one.
    other = request_from("127.0.0.22", "POST", f"{gateway.url}/api/v1/login",
                         {"email": new_email("other"), "password": "wrong password!"})
    assert other.status == 401


def test_a_forged_x_forwarded_for_buys_no_sign_ins(gateway):
    """A client naming itself a different address with every request is still one client:
    the gateway's build gives the backends the address that connected (docs/decisions/0005),
    and the services trust only that hop."""
    replies = _sign_in_burst(gateway, "127.0.0.23", True, lambda replies: sum(r.status == 429 for r in replies) >= 15)
    assert sum(r.status == 429 for r in replies) >= 15, sorted(r.status for r in replies)


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/products/%1F"), ("GET", "/api/v1/products/a%25zz"), ("GET", "/api/v1/products/%7F/related"),
    ("GET", "/images/products/%00.svg"), ("GET", "/api/v1/orders/a%23b"), ("GET", "/api/v1/orders/a%3Fb"),
    ("POST", "/api/v1/orders/%C3%96%23/cancel"), ("GET", "/api/v1/products/a%5Cb"),
    ("POST", "/api/v1/orders/a%3Ab/cancel"),
])
def test_a_path_parameter_that_would_break_the_backend_url_is_400_with_a_json_error(gateway, customer, method, path):
    """KrakenD 1.4 puts decoded parameters into the backend URL as they are, where a "#" or
    "?" ends the path, a ":" starts a custom verb and an encoded slash changes the path (a
    POST to /orders/Ö#/cancel reached the facade as /orders/Ö and got a 405). Its Lua guard (krakend.json) refuses these
    first, with the services' JSON error body (our krakend-lua patch)."""
    reply = customer.call(method, path, {} if method == "POST" else None)
    assert reply.status == 400, (path, reply.status, reply.body)
    assert reply.headers.get("Content-Type", "").startswith("application/json")
    assert reply.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/v1/nothing-here", 404), ("GET", "/api/v1/products/..%2F..%2Fcategories", 404),
    ("DELETE", "/api/v1/products", 405),
])
def test_the_routers_own_refusals_have_the_json_error_body(gateway, method, path, status):
    """No endpoint for the path (an encoded slash included: the router decodes it, and no
    route matches), or none for the method: our krakend-ce patch gives gin's plain-text
    404 and 405 the services' JSON body."""
    reply = gateway.call(method, path)
    assert reply.status == status, (path, reply.status, reply.body)
    assert reply.json()["error"]["code"] == status


def test_text_the_database_cannot_hold_is_a_400_not_a_500(gateway):
    """A NUL character in a query parameter (schemathesis found it on the admin's order list):
    PostgreSQL's text refuses it, and the services answer INVALID_ARGUMENT with a stable
    message and the request id, not an unexpected error."""
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    reply = admin.call("GET", "/api/v1/admin/orders?user_id=%C2%AE%00x")
    assert reply.status == 400, (reply.status, reply.body)
    error = reply.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and "request id" in error["message"], error


def test_ordinary_path_parameters_pass_the_guard(gateway, customer):
    assert gateway.call("GET", "/api/v1/products/stoneware-mug").status == 200
    assert gateway.call("GET", "/api/v1/products/no%20such%20thing").status == 404
    assert customer.call("GET", "/api/v1/orders/some-order").status == 404
