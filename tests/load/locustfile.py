"""The shop under load, the way shoppers use it (see README.md here).

WebsiteShopper browses the website as Online Boutique's locustfile does (index 1, set
currency 2, browse product 10, add to cart 2, view cart 3, checkout 1), and also searches,
signs in again and looks at its order history. ApiShopper uses the public API through
KrakenD: browse, search, cart, orders; it signs in once and refreshes its tokens as a real
client does. Pick one with its class name on the command line
(`locust -f tests/load/locustfile.py ApiShopper`); both run when none is named.

Each class has its own host (LOADTEST_WEB_HOST, LOADTEST_API_HOST): locust's --host would
set both, so give it only when running one class. Every check that fails (a checkout that
does not end on its order's page, a cart that did not change) is a locust failure, and so
is every 429, which the shopper then waits out (polite_client.py). Sign-ins and
registrations are paced to stay well under the shop's per-client limits (signins.py): this
process is one client address to the shop, and it says so (no forged X-Forwarded-For)."""
from __future__ import annotations

import os
import random
import time
import uuid

from locust import between, task

from tests.load import pages, products, signins, tokens
from tests.load.polite_client import PoliteUser

WEB_HOST = os.environ.get("LOADTEST_WEB_HOST", "http://127.0.0.1:8080")
API_HOST = os.environ.get("LOADTEST_API_HOST", "http://127.0.0.1:8000")
PRODUCTS = products.chosen()
CURRENCIES = ("EUR", "USD", "JPY", "CAD", "GBP", "TRY")
SEARCHES = ("mug", "jacket", "camera", "wool", "kettle", "lamp", "bag", "sun", "coffee", "steel")
WAIT_MIN, WAIT_MAX = (float(s) for s in os.environ.get("LOADTEST_WAIT", "1,3").split(","))
PASSWORD = "Load-test passphrase 7"
# Refresh API tokens after this many seconds instead of at three quarters of their life.
REFRESH_EVERY = float(os.environ["LOADTEST_TOKEN_REFRESH_SECONDS"]) if os.environ.get(
    "LOADTEST_TOKEN_REFRESH_SECONDS") else None
# How often a sign-in or registration refused with 429 is tried again (after waiting).
ATTEMPTS = 3
# After an API sign-in that failed otherwise (a timeout, a 5xx), the shopper waits this long
# before the next one, and skips what needs a token meanwhile: no storm of password checks.
LOGIN_RETRY_SECONDS = 30.0

# Every password check and API registration of this process, paced for the stack's limits.
PACING = signins.pacing(os.environ)
SIGN_INS = PACING.sign_ins()
API_REGISTRATIONS = PACING.registrations()
WEB_SIGN_INS_AGAIN = PACING.sign_ins_again()


def _new_email(kind: str) -> str:
    return f"load-{kind}-{uuid.uuid4().hex[:12]}@example.com"


class WebsiteShopper(PoliteUser):
    """A registered shopper on the website: HTML pages, forms with their CSRF token, the
    session cookie, a currency, and real checkouts with the demo address and good card."""
    host = WEB_HOST
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self):
        self.csrf = ""
        self.email = _new_email("web")
        self._page("/register")
        SIGN_INS.take()  # registering signs in
        with self.client.post("/register", data={"csrf_token": self.csrf, "email": self.email,
                                                 "display_name": "Load Shopper", "password": PASSWORD},
                              catch_response=True) as reply:
            signed_in = self._expect_page(reply, "/account", "registering did not end signed in on the account page")
        if reply.ok and not signed_in:
            # The account exists but its sign-in was refused (the website then asks for one):
            # already a failure; sign in, so the shopper can go on.
            SIGN_INS.take()
            self._sign_in()

    # --- helpers -------------------------------------------------------------------------

    def _sign_in(self) -> None:
        """The sign-in form, sent again after a 429 (which the client waits out). The caller
        has taken the first try's sign-in from the budget; each later try takes its own."""
        self._page("/login")
        for _ in range(ATTEMPTS):
            with self.client.post("/login", data={"csrf_token": self.csrf, "email": self.email,
                                                  "password": PASSWORD}, catch_response=True) as reply:
                if reply.status_code != 429:
                    self._expect_page(reply, "/account", "signing in did not end on the account page")
                    return
            SIGN_INS.take()

    def _remember_token(self, reply) -> None:
        token = pages.csrf_token(reply.text or "")
        if token:
            self.csrf = token

    def _page(self, path: str, name: str | None = None):
        with self.client.get(path, name=name, catch_response=True) as reply:
            if reply.ok:
                self._remember_token(reply)
        return reply

    def _expect_page(self, reply, path: str, why: str) -> bool:
        """Mark the request failed unless it ended (after redirects) on `path`."""
        if not reply.ok:
            return False  # locust counts the status itself
        self._remember_token(reply)
        ended = reply.url.split("?", 1)[0]
        if not ended.endswith(path):
            reply.failure(f"{why} (ended on {ended}, {pages.problems(reply.text)})")
            return False
        return True

    def _post_cart_item(self, product_id: str) -> None:
        quantity = random.choice((1, 1, 2, 3))
        with self.client.post("/cart/items", data={"csrf_token": self.csrf, "product_id": product_id,
                                                   "quantity": quantity}, catch_response=True) as reply:
            if self._expect_page(reply, "/cart", "adding to the cart did not show the cart") \
                    and "Added to your cart." not in reply.text:
                reply.failure(f"the cart did not take {product_id}: {pages.problems(reply.text)}")

    # --- the Online Boutique mix ---------------------------------------------------------

    @task(1)
    def index(self):
        self._page("/")

    @task(2)
    def set_currency(self):
        code = random.choice(CURRENCIES)
        with self.client.post("/currency", data={"csrf_token": self.csrf, "currency_code": code, "next": "/"},
                              catch_response=True) as reply:
            if self._expect_page(reply, "/", "choosing a currency did not go back home") \
                    and self.client.cookies.get("shop_currency") != code:
                reply.failure(f"the currency cookie is not {code}")

    @task(10)
    def browse_product(self):
        self._page(f"/products/{random.choice(PRODUCTS)}", name="/products/[id]")

    @task(2)
    def add_to_cart(self):
        product_id = random.choice(PRODUCTS)
        if self._page(f"/products/{product_id}", name="/products/[id]").ok:
            self._post_cart_item(product_id)

    @task(3)
    def view_cart(self):
        self._page("/cart")

    @task(1)
    def checkout(self):
        cart = self._page("/cart")
        if cart.ok and "Your cart is empty." in cart.text:
            self.add_to_cart()
            cart = self._page("/cart")
        fields = pages.form_fields(cart.text, "/checkout") if cart.ok else None
        if fields is None:
            return  # the cart page failed, or the item could not be added: already a failure
        with self.client.post("/checkout", data=fields, allow_redirects=False, catch_response=True) as reply:
            order_id = pages.order_id_in(reply.headers.get("Location", ""))
            if reply.status_code != 303 or not order_id:
                reply.failure(f"checkout answered {reply.status_code}, not a redirect to /orders/<id>: "
                              f"{pages.problems(reply.text)}")
                return
        with self.client.get(f"/orders/{order_id}", name="/orders/[id]", catch_response=True) as page:
            if page.ok and order_id not in page.text:
                page.failure(f"the order page does not name order {order_id}")

    # --- beyond Online Boutique ----------------------------------------------------------

    @task(2)
    def search(self):
        self._page(f"/search?q={random.choice(SEARCHES)}", name="/search?q=[words]")

    @task(1)
    def sign_in_again(self):
        """Sign out and back in, when both its own budget and the sign-in budget have room
        (else nothing this time)."""
        if not (WEB_SIGN_INS_AGAIN.try_take() and SIGN_INS.try_take()):
            return
        with self.client.post("/logout", data={"csrf_token": self.csrf}, catch_response=True) as reply:
            if not self._expect_page(reply, "/", "signing out did not go home"):
                return
        self._sign_in()

    @task(1)
    def order_history(self):
        with self.client.get("/account", catch_response=True) as reply:
            self._expect_page(reply, "/account", "the account page sent a signed-in shopper away")


class ApiShopper(PoliteUser):
    """A client of the public API through KrakenD: registers, signs in once (JWT), browses,
    fills its cart and places orders with the good test card. It refreshes its tokens before
    the access token expires (tokens.py) and signs in with its password again only when a
    refresh is refused."""
    host = API_HOST
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self):
        self.email = _new_email("api")
        self.session: tokens.Session | None = None
        self.next_login_at = 0.0
        self._register()
        self._log_in()

    def _register(self) -> None:
        for _ in range(ATTEMPTS):
            API_REGISTRATIONS.take()
            with self.client.post("/api/v1/users", json={"email": self.email, "password": PASSWORD,
                                                         "displayName": "Load Client"}, catch_response=True) as reply:
                if reply.status_code == 429:
                    continue  # counted; the client waits it out before the next try
                if reply.ok and not reply.json().get("user", {}).get("id"):
                    reply.failure("registration answered no user id")
                return

    def _keep_tokens(self, reply) -> None:
        try:
            self.session = tokens.Session.from_pair(reply.json(), received_at=time.monotonic())
        except ValueError as exc:
            reply.failure(f"the token pair is unusable: {exc}")

    def _log_in(self) -> None:
        for _ in range(ATTEMPTS):
            SIGN_INS.take()
            with self.client.post("/api/v1/login", json={"email": self.email, "password": PASSWORD},
                                  catch_response=True) as reply:
                if reply.status_code == 429:
                    continue
                if reply.ok:
                    self._keep_tokens(reply)
                break
        if self.session is None:
            self.next_login_at = time.monotonic() + LOGIN_RETRY_SECONDS

    def _refresh(self) -> None:
        """Exchange the refresh token (the bearer, no body) for a new pair; when that is
        refused, sign in again."""
        bearer = {"Authorization": f"Bearer {self.session.refresh_token}"}
        with self.client.post("/api/v1/token/refresh", headers=bearer, catch_response=True) as reply:
            if reply.ok:
                self._keep_tokens(reply)
                return
        self.session = None
        self._log_in()

    def _auth(self) -> dict | None:
        """The Authorization header, refreshing or signing in first when due; None when the
        shopper has no token (its failed sign-in is already counted), to skip the call."""
        if self.session is None:
            if time.monotonic() < self.next_login_at:
                return None
            self._log_in()
        elif self.session.refresh_due(time.monotonic(), REFRESH_EVERY):
            self._refresh()
        return {"Authorization": f"Bearer {self.session.access_token}"} if self.session else None

    def _cart_items(self) -> list | None:
        auth = self._auth()
        if auth is None:
            return None
        with self.client.get("/api/v1/cart", headers=auth, catch_response=True) as reply:
            if not reply.ok:
                return None
            items = reply.json().get("cart", {}).get("items")
            if items is None:
                reply.failure("the cart has no items list")
            return items

    @task(3)
    def list_products(self):
        with self.client.get("/api/v1/products?page_size=12", name="/api/v1/products?page_size=12",
                             catch_response=True) as reply:
            if reply.ok and not reply.json().get("products"):
                reply.failure("the product list is empty")

    @task(10)
    def get_product(self):
        product_id = random.choice(PRODUCTS)
        with self.client.get(f"/api/v1/products/{product_id}", name="/api/v1/products/[id]",
                             catch_response=True) as reply:
            if reply.ok and reply.json().get("product", {}).get("id") != product_id:
                reply.failure(f"asked for {product_id}, got another answer")

    @task(2)
    def search(self):
        self.client.get(f"/api/v1/search?query={random.choice(SEARCHES)}", name="/api/v1/search?query=[words]")

    @task(2)
    def add_to_cart(self):
        auth = self._auth()
        if auth is None:
            return
        body = {"productId": random.choice(PRODUCTS), "quantity": random.choice((1, 1, 2, 3))}
        self.client.post("/api/v1/cart/items", json=body, headers=auth)

    @task(3)
    def view_cart(self):
        self._cart_items()

    @task(1)
    def place_order(self):
        items = self._cart_items()
        if items == []:
            self.add_to_cart()
        elif items is None:
            return
        body = {"currencyCode": random.choice(CURRENCIES), "email": self.email,
                "address": {"name": "Ada Lovelace", "addressLines": ["12 Tremont Street"], "city": "Boston",
                            "region": "MA", "postalCode": "02108", "countryCode": "US"},
                "creditCard": {"number": "4242 4242 4242 4242", "cvv": "123", "expiryMonth": 12,
                               "expiryYear": time.gmtime().tm_year + 3, "holderName": "Ada Lovelace"}}
        auth = self._auth()
        if auth is None:
            return
        with self.client.post("/api/v1/orders", json=body, headers=auth, catch_response=True) as reply:
            if reply.ok and not reply.json().get("order", {}).get("id"):
                reply.failure("the order came back without an id")

    @task(1)
    def order_history(self):
        auth = self._auth()
        if auth is None:
            return
        with self.client.get("/api/v1/orders", headers=auth, catch_response=True) as reply:
            if reply.ok and "orders" not in reply.json():
                reply.failure("the order history has no orders list")
