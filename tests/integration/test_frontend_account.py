"""The account pages over the real services: registering, signing in and out (with the
guest cart brought along), errors at the right field, lockout, and the order history with
cancelling an order that has not shipped."""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace

import grpc
import psycopg
import pytest

from frontend import create_app
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.checkout.v1 import checkout_pb2_grpc
from shop.identity.v1 import identity_pb2, identity_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import fill_cart, new_shopper, place_request, wait_for_status
from tests.support.gateway import User
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register, unique_email
from tests.support.net import free_port

COOKIE = "shop_session-id"


def token_on(client, path: str = "/no-such-page") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def post_form(client, path: str, **fields):
    return client.post(path, data={"csrf_token": token_on(client), **fields})


def sign_up(client, email: str | None = None, password: str = PASSWORD, display_name: str = "Ada"):
    return post_form(client, "/register", email=email or unique_email("web"), display_name=display_name,
                     password=password)


def sign_in(client, email: str, password: str = PASSWORD, **fields):
    return post_form(client, "/login", email=email, password=password, **fields)


def user_id_of(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("user_id")


def error_at(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="account-{field}-error">([^<]*)</p>', page)
    return found.group(1) if found else ""


@pytest.fixture
def account(identity_channel):
    """A registered customer, Grace, with the suite's PASSWORD."""
    return register(identity_channel, display_name="Grace")


@pytest.fixture
def checkout(checkout_channel):
    return checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)


def test_registering_signs_the_new_customer_in(web):
    email = unique_email("web")
    reply = sign_up(web, email, display_name="Ada Lovelace")
    assert reply.status_code == 303 and reply.headers["Location"] == "/account"
    page = web.get("/account")
    assert page.status_code == 200
    assert "Sign out" in page.text and 'href="/account"' in page.text and 'href="/login"' not in page.text
    assert email in page.text and "Ada Lovelace" in page.text and "customer" in page.text
    assert "Welcome, Ada Lovelace!" in page.text
    assert "You have not ordered anything yet" in page.text


def test_the_forms_label_every_input(web):
    for path in ("/register", "/login"):
        page = web.get(path).text
        for input_id in re.findall(r'<input id="(account-[a-z_]+)"', page):
            assert f'<label for="{input_id}">' in page, f"{input_id} on {path} has no label"
    assert "account.css" in web.get("/login").text


def test_a_taken_email_is_shown_at_the_email_field_with_the_input_kept(web, account):
    reply = sign_up(web, account.email.upper(), password="another-Passphrase-7", display_name="Someone Else")
    assert reply.status_code == 409
    assert "already exists" in error_at(reply.text, "email")
    assert f'value="{account.email.upper()}"' in reply.text and 'value="Someone Else"' in reply.text
    assert "another-Passphrase-7" not in reply.text
    assert user_id_of(web) is None


def test_a_weak_password_is_shown_at_the_password_field_with_the_rule(web):
    email = unique_email("web")
    reply = sign_up(web, email, password="aaaaaaaaaaaa")
    assert reply.status_code == 400
    message = error_at(reply.text, "password")
    assert "10 to 128 characters" in message and "different characters" in message
    assert f'value="{email}"' in reply.text and "aaaaaaaaaaaa" not in reply.text
    assert 'aria-invalid="true"' in reply.text


def test_empty_fields_are_named_without_asking_the_service(web):
    reply = post_form(web, "/register", email="", display_name="", password="")
    assert reply.status_code == 400
    assert error_at(reply.text, "email") and error_at(reply.text, "display_name") and error_at(reply.text, "password")


def test_a_wrong_password_and_an_unknown_email_get_the_same_generic_message(web, account):
    wrong = sign_in(web, account.email, "not-the-Password-9")
    unknown = sign_in(web, unique_email("nobody"), "not-the-Password-9")
    for reply in (wrong, unknown):
        assert reply.status_code == 401 and "The email address or password is not right." in reply.text
        assert "not-the-Password-9" not in reply.text and not error_at(reply.text, "email")
    assert f'value="{account.email}"' in wrong.text
    assert user_id_of(web) is None


def test_signing_in_goes_to_the_account_page(web, account):
    reply = sign_in(web, account.email)
    assert reply.status_code == 303 and reply.headers["Location"] == "/account"
    assert user_id_of(web) == account.id
    assert "Welcome back, Grace." in web.get("/account").text


@pytest.mark.parametrize("target, location", [("/cart", "/cart"), ("/search?q=mug", "/search?q=mug"),
                                              ("https://evil.example/", "/"), ("//evil.example", "/")])
def test_signing_in_returns_only_to_a_page_of_this_site(web, account, target, location):
    assert 'name="next" value="' + target.replace("&", "&amp;") in web.get(f"/login?next={target}").text
    assert sign_in(web, account.email, next=target).headers["Location"] == location


def test_signing_in_brings_the_guest_cart_along(web, account, cart_channel, catalog_channel):
    mug, tote = create_product(catalog_channel), create_product(catalog_channel)
    web.get("/login")
    guest = "guest:" + web.get_cookie(COOKIE).value
    fill_cart(cart_channel, guest, (mug.id, 2))
    fill_cart(cart_channel, account.id, (tote.id, 1))  # left in the account from an earlier visit

    assert sign_in(web, account.email).status_code == 303
    carts = cart_pb2_grpc.CartServiceStub(cart_channel)
    merged = carts.GetCart(cart_pb2.GetCartRequest(owner_id=account.id), timeout=5).cart
    assert sorted((item.product_id, item.quantity) for item in merged.items) == sorted([(mug.id, 2), (tote.id, 1)])
    assert not carts.GetCart(cart_pb2.GetCartRequest(owner_id=guest), timeout=5).cart.items
    # Every page's cart count, like the cart page, now reads the account's cart.
    assert 'aria-label="3 items in cart"' in web.get("/account").text


def test_signing_in_says_what_of_the_guest_cart_did_not_fit(web, account, cart_channel, catalog_channel):
    mug, tote = create_product(catalog_channel, stock=200), create_product(catalog_channel)
    web.get("/login")
    guest = "guest:" + web.get_cookie(COOKIE).value
    fill_cart(cart_channel, guest, (mug.id, 60), (tote.id, 1))
    fill_cart(cart_channel, account.id, (mug.id, 50))  # 60 more would pass 99 a line

    reply = sign_in(web, account.email)
    assert reply.status_code == 303
    page = web.get(reply.headers["Location"]).text
    assert "Not everything from before you signed in fitted in your cart" in page
    assert f"{mug.name} (11 units)" in page and tote.name not in page.split("stayed out")[1][:200]
    merged = cart_pb2_grpc.CartServiceStub(cart_channel).GetCart(
        cart_pb2.GetCartRequest(owner_id=account.id), timeout=5).cart
    assert sorted((item.product_id, item.quantity) for item in merged.items) == sorted([(mug.id, 99), (tote.id, 1)])


def test_signing_in_starts_a_fresh_session(web, account):
    web.get("/login")
    planted_id = web.get_cookie(COOKIE).value
    with web.session_transaction() as session:
        session["planted"] = "by someone else"
    token_before = token_on(web)

    sign_in(web, account.email)
    with web.session_transaction() as session:
        kept = {key: value for key, value in session.items() if key != "_flashes"}
        assert set(kept) == {"user_id", "session_jti", "seen_live_at"}, "nothing from before the sign-in survives it"
        assert kept["user_id"] == account.id
    assert web.get_cookie(COOKIE).value != planted_id, "the anonymous session id is renewed too"
    assert token_on(web, "/account") != token_before


def test_signing_out_forgets_the_customer(web, account):
    sign_in(web, account.email)
    signed_in_id = web.get_cookie(COOKIE).value
    reply = post_form(web, "/logout")
    assert reply.status_code == 303 and reply.headers["Location"] == "/"
    assert user_id_of(web) is None and web.get_cookie(COOKIE).value != signed_in_id
    assert web.get("/account").headers["Location"] == "/login?next=/account"
    page = web.get("/login").text
    assert 'href="/login"' in page and "Sign out" not in page


def test_the_account_page_needs_a_signed_in_customer(web):
    reply = web.get("/account")
    assert reply.status_code == 302 and reply.headers["Location"] == "/login?next=/account"
    cancel = post_form(web, "/account/orders/ord_0/cancel")
    assert cancel.status_code == 302 and cancel.headers["Location"] == "/login?next=/account"


def test_a_signed_in_customer_skips_the_forms(web, account):
    sign_in(web, account.email)
    assert web.get("/login").headers["Location"] == "/account"
    assert web.get("/register?next=/cart").headers["Location"] == "/cart"


def test_after_five_wrong_passwords_the_page_says_when_to_try_again(frontend_app, account):
    client = frontend_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.41"  # its own client address, for the per-client limit
    for _ in range(5):
        assert sign_in(client, account.email, "not-the-Password-9").status_code == 401
    locked = sign_in(client, account.email)  # even the right password, while locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert re.search(r"Too many failed sign-in attempts for this email address\. Please try again in \d+ seconds?\.",
                     locked.text)
    assert user_id_of(client) is None


def test_sign_in_while_identity_is_away_is_a_503_page(frontend_config):
    away = replace(frontend_config, identity_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    client = create_app(away).test_client()
    reply = sign_in(client, unique_email(), PASSWORD)
    assert reply.status_code == 503 and "We cannot reach sign-in and accounts right now" in reply.text
    assert PASSWORD not in reply.text


def placed_order(checkout, cart_channel, catalog_channel, owner: str):
    product = create_product(catalog_channel, stock=5)
    fill_cart(cart_channel, owner, (product.id, 2))
    return checkout.PlaceOrder(place_request(owner), timeout=20).order


def order_row(page: str, order_id: str) -> str:
    return re.search(rf"<tr>\s*<td data-label=\"Order\"><a href=\"/orders/{order_id}\">.*?</tr>", page, re.S).group(0)


def test_the_account_page_lists_orders_and_cancels_one_not_yet_shipped(web, account, checkout, checkout_channel,
                                                                       cart_channel, catalog_channel, postgres):
    sign_in(web, account.email)
    # Shipping's PAID-event handler waits mid-way (CancelShipment still works), so the
    # order stays PAID until cancelled.
    with psycopg.connect(postgres.url("shipping_test")) as hold:
        hold.execute("LOCK TABLE processed_events IN EXCLUSIVE MODE")
        order = placed_order(checkout, cart_channel, catalog_channel, account.id)
        wait_for_status(checkout_channel, account.id, order.id, "PAID")
        row = order_row(web.get("/account").text, order.id)
        assert "Paid" in row and "$" in row and "2 items" in row
        assert f'action="/account/orders/{order.id}/cancel"' in row

        reply = post_form(web, f"/account/orders/{order.id}/cancel")
        assert reply.status_code == 303 and reply.headers["Location"] == "/account"
        page = web.get("/account").text
    assert f"Order {order.id} is cancelled." in page
    row = order_row(page, order.id)
    assert re.search(r">(Cancelled|Refunded)</span>", row) and "/cancel" not in row


def test_a_shipped_order_cannot_be_cancelled_and_the_page_says_so(web, account, checkout, checkout_channel,
                                                                  cart_channel, catalog_channel):
    sign_in(web, account.email)
    order = placed_order(checkout, cart_channel, catalog_channel, account.id)
    wait_for_status(checkout_channel, account.id, order.id, "SHIPPED")
    row = order_row(web.get("/account").text, order.id)
    assert "Shipped" in row and "/cancel" not in row

    reply = post_form(web, f"/account/orders/{order.id}/cancel")
    assert reply.status_code == 303
    page = web.get("/account")
    assert page.status_code == 200 and "shipped and can no longer be cancelled" in page.text


def test_another_persons_order_cannot_be_cancelled(web, account, checkout, cart_channel, catalog_channel):
    someone_else = placed_order(checkout, cart_channel, catalog_channel, new_shopper())
    sign_in(web, account.email)
    reply = post_form(web, f"/account/orders/{someone_else.id}/cancel")
    assert reply.status_code == 404 and "We could not find that page" in reply.text


def test_the_profile_still_shows_when_orders_cannot(frontend_config, account):
    away = replace(frontend_config, checkout_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    client = create_app(away).test_client()
    sign_in(client, account.email)
    page = client.get("/account")
    assert page.status_code == 200 and account.email in page.text
    assert "We cannot show your orders right now" in page.text


def test_a_made_up_page_of_orders_is_refused(web, account):
    sign_in(web, account.email)
    assert web.get(f"/account?page={uuid.uuid4().hex}").status_code == 400


# -- the website's session is identity's: it ends when the account says so -----------------

@pytest.fixture
def strict_web(frontend_config):
    """A visitor of a website that asks identity on every request (SESSION_CHECK_SECONDS=0)."""
    app = create_app(replace(frontend_config, session_check_seconds=0))
    app.config.update(TESTING=True)
    yield app.test_client()
    app.extensions["backends"].close()


def signed_in_on_the_website(client, email: str) -> None:
    assert sign_in(client, email).status_code == 303
    assert client.get("/account").status_code == 200


def assert_signed_out(client) -> None:
    page = client.get("/account")
    assert page.status_code == 302 and page.location.startswith("/login"), page.status_code
    assert user_id_of(client) is None
    assert "Your session has ended. Please sign in again." in client.get("/login").text


def locked_by_an_admin(user: User):
    admin = User(user.gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    return admin.call("POST", f"/api/v1/admin/users/{user.id}/lock", {"reason": "a test"})


@pytest.mark.parametrize("through_the_api", [
    lambda user: user.call("POST", "/api/v1/me/password", {"currentPassword": PASSWORD,
                                                           "newPassword": PASSWORD + "-new"}),
    lambda user: user.call("POST", "/api/v1/me/delete", {"password": PASSWORD}),
    lambda user: user.call("POST", "/api/v1/logout?all_sessions=true"),
    locked_by_an_admin,
], ids=["password changed", "account deleted", "signed out everywhere", "account locked"])
def test_what_ends_every_session_through_the_api_ends_the_websites(strict_web, gateway, account, through_the_api):
    signed_in_on_the_website(strict_web, account.email)
    api_user = User(gateway, account.email, PASSWORD)
    assert api_user.login().status == 200
    reply = through_the_api(api_user)
    assert reply.status == 200, reply.body
    assert_signed_out(strict_web)


def test_a_password_change_reaches_the_website_within_its_check_interval(frontend_config, gateway, account):
    app = create_app(replace(frontend_config, session_check_seconds=1))
    app.config.update(TESTING=True)
    web = app.test_client()
    try:
        signed_in_on_the_website(web, account.email)
        api_user = User(gateway, account.email, PASSWORD)
        assert api_user.login().status == 200
        assert api_user.call("POST", "/api/v1/me/password", {"currentPassword": PASSWORD,
                                                            "newPassword": PASSWORD + "-new"}).status == 200
        # Seen live less than a second ago: not asked again yet (the documented bound).
        assert web.get("/account").status_code == 200
        time.sleep(1.1)
        assert_signed_out(web)
    finally:
        app.extensions["backends"].close()


def test_signing_out_on_the_website_ends_the_identity_session(strict_web, account, identity_channel):
    signed_in_on_the_website(strict_web, account.email)
    with strict_web.session_transaction() as session:
        jti = session["session_jti"]
    identity = identity_pb2_grpc.IdentityServiceStub(identity_channel)
    identity.CheckSession(identity_pb2.CheckSessionRequest(user_id=account.id, jti=jti))  # live
    assert post_form(strict_web, "/logout").status_code == 303
    with pytest.raises(grpc.RpcError) as ended:
        identity.CheckSession(identity_pb2.CheckSessionRequest(user_id=account.id, jti=jti))
    assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ended.value.details() == "this session has ended"


def test_a_signed_in_cookie_without_an_identity_session_is_signed_out(web, account):
    """A cookie from before the website checked sessions holds the user id alone."""
    web.get("/login")
    with web.session_transaction() as session:
        session["user_id"] = account.id
    assert_signed_out(web)


def test_while_identity_is_away_the_signed_cookie_stands(frontend_config, strict_web, account):
    signed_in_on_the_website(strict_web, account.email)
    away_app = create_app(replace(frontend_config, identity_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0,
                                  session_check_seconds=0))
    away_app.config.update(TESTING=True)
    away = away_app.test_client()
    try:
        away.set_cookie("session", strict_web.get_cookie("session").value)
        page = away.get("/cart")
        assert page.status_code == 200 and "Sign out" in page.text
        assert user_id_of(away) == account.id
    finally:
        away_app.extensions["backends"].close()
