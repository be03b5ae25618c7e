"""The shop in containers, as its tests see it: the compose project in the private engine,
reached through the ports it publishes on loopback, plus a look inside for the checks a
user could make with `docker compose exec` (a query in PostgreSQL)."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from devstack.containers import ComposeShop
from tests.support.gateway import ADDRESS, GOOD_CARD, Gateway, User, signed_in, stock_a_product
from tests.support.http import request
from tests.support.services import wait_until

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "containers"
# The shop's own images run as this user (docs/containers.md).
SHOP_UID = "10001"
SHOP_SERVICES = ("catalogservice", "cartservice", "shippingservice", "paymentservice", "emailservice",
                 "identityservice", "recommendationservice", "checkoutservice", "frontend", "krakend")


@dataclass
class ContainerShop:
    project: ComposeShop
    published: dict[str, str]   # compose service -> "127.0.0.1:port" on the host

    @property
    def website_url(self) -> str:
        return f"http://{self.published['frontend']}"

    @property
    def gateway(self) -> Gateway:
        return Gateway(f"http://{self.published['krakend']}", keys_dir=Path("/nonexistent"), log_path=Path("/dev/null"))

    @property
    def mailpit_url(self) -> str:
        return f"http://{self.published['mailpit']}"

    def compose(self, *args: str, **kwargs):
        return self.project.compose(*args, **kwargs)

    def sql(self, database: str, query: str) -> list[list[str]]:
        """Rows of a query run by psql inside the postgres container, as a user would."""
        out = self.compose("exec", "-T", "postgres", "psql", "-U", "shop", "-d", database, "-AtF", "\t", "-c",
                           query, timeout=60).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def emails_to(self, address: str) -> list[dict]:
        """Mailpit's summaries of the messages sent to address."""
        query = urllib.parse.quote(f'to:"{address}"')
        reply = request("GET", f"{self.mailpit_url}/api/v1/search?query={query}&limit=200")
        assert reply.status == 200, reply.body
        return reply.json()["messages"]

    def all_message_ids(self) -> list[str]:
        ids, start = [], 0
        while True:
            reply = request("GET", f"{self.mailpit_url}/api/v1/messages?start={start}&limit=500")
            page = reply.json()["messages"]
            ids += [message["MessageID"] for message in page]
            if len(page) < 500:
                return ids
            start += 500


def wait_for_order(user: User, order_id: str, wanted: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        reply = user.call("GET", f"/api/v1/orders/{order_id}")
        order = reply.json().get("order", {}) if reply.status == 200 else {}
        if order.get("status") in wanted or time.monotonic() > deadline:
            return order
        time.sleep(0.5)


def shipped_order(gateway: Gateway, tag: str) -> tuple[User, str, dict]:
    """A new customer's order of a new product through the gateway, once it has SHIPPED:
    the customer, the order id and the product."""
    product = stock_a_product(gateway, stock=10)
    user = signed_in(gateway, tag)
    assert user.call("POST", "/api/v1/cart/items", {"productId": product["id"], "quantity": 1}).status == 200
    placed = user.call("POST", "/api/v1/orders", {"currencyCode": "USD", "address": ADDRESS, "email": user.email,
                                                 "creditCard": GOOD_CARD})
    assert placed.status == 200, placed.body
    order_id = placed.json()["order"]["id"]
    assert wait_for_order(user, order_id, {"ORDER_STATUS_SHIPPED"}).get("status") == "ORDER_STATUS_SHIPPED"
    return user, order_id, product


@dataclass
class OrderStream:
    """Shoppers placing orders through the gateway one after another, in a thread, while
    something is taken away: which orders were accepted, and which calls were refused."""
    shop: ContainerShop
    product_id: str
    shoppers: int = 3
    accepted: list[tuple[User, str]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "OrderStream":
        self.users = [signed_in(self.shop.gateway, "drill") for _ in range(self.shoppers)]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            user = self.users[n % len(self.users)]
            n += 1
            try:
                added = user.call("POST", "/api/v1/cart/items", {"productId": self.product_id, "quantity": 1})
                if added.status != 200:
                    self.refused.append(added.status)
                    time.sleep(0.3)
                    continue
                placed = user.call("POST", "/api/v1/orders", {"currencyCode": "USD", "address": ADDRESS,
                                                              "email": user.email, "creditCard": GOOD_CARD})
            except OSError:  # the gateway itself is up; a timeout is a refusal like any other
                self.refused.append(0)
                continue
            if placed.status == 200:
                self.accepted.append((user, placed.json()["order"]["id"]))
            else:
                self.refused.append(placed.status)
            time.sleep(0.1)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        start = len(self.accepted)
        while len(self.accepted) < start + count:
            assert time.monotonic() < deadline, f"only {len(self.accepted) - start} orders in {timeout} s"
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(60)


def record(drill: str, facts: dict, artifacts: Path = ARTIFACTS) -> None:
    """Add what a drill saw to drills.json in artifacts (test-artifacts/containers by default)."""
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / "drills.json"
    drills = json.loads(path.read_text()) if path.exists() else {}
    drills[drill] = facts
    path.write_text(json.dumps(drills, indent=2) + "\n")


def assert_captured_and_shipped_once(shop, accepted: list[tuple[User, str]], timeout: float = 180) -> float:
    """Every accepted order ships, each paid once and shipped once (counted with psql in the
    shop's database, `shop.sql`). The seconds until the last one shipped."""
    start = time.monotonic()
    for user, order_id in accepted:
        left = max(5, timeout - (time.monotonic() - start))
        order = wait_for_order(user, order_id, {"ORDER_STATUS_SHIPPED"}, timeout=left)
        assert order.get("status") == "ORDER_STATUS_SHIPPED", (order_id, order)
    shipped_after = time.monotonic() - start
    ids = "','".join(order_id for _, order_id in accepted)
    captures = shop.sql("payment", f"SELECT order_id, count(*) FROM payments WHERE order_id IN ('{ids}') "
                                   "AND captured_amount > 0 GROUP BY order_id")
    assert sorted(order_id for order_id, count in captures if count == "1") == sorted(o for _, o in accepted), captures
    shipments = shop.sql("shipping", f"SELECT count(*) FROM shipments WHERE order_id IN ('{ids}')")
    assert shipments == [[str(len(accepted))]]
    return shipped_after


def assert_shipped_once(shop: "ContainerShop", accepted: list[tuple[User, str]], timeout: float = 180) -> float:
    """Every accepted order ships; no capture, shipment or email happens twice. The seconds
    the last one took to ship after the drill."""
    shipped_after = assert_captured_and_shipped_once(shop, accepted, timeout)
    # Every email the shop sent is in Mailpit once (an email's Message-ID is the same on each
    # attempt), and each order has its three.
    sent = Counter(shop.all_message_ids())
    assert not [message_id for message_id, n in sent.items() if n > 1], "an email was delivered twice"
    for user in {user.email: user for user, _ in accepted}.values():
        orders = [order_id for u, order_id in accepted if u.email == user.email]
        wait_until(lambda: len(shop.emails_to(user.email)) >= 3 * len(orders), 60, f"the emails to {user.email}",
                   interval=1)
        subjects = [message["Subject"] for message in shop.emails_to(user.email)]
        for order_id in orders:
            assert sum(order_id in subject for subject in subjects) == 3, (order_id, subjects)
    return shipped_after
