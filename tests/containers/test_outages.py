"""Fault drills on the containers, as people run them on a demo shop: SIGKILL RabbitMQ, then
PostgreSQL, then cartservice, each in the middle of a stream of orders through the gateway,
then `docker compose start` it. Every order that was accepted reaches SHIPPED, and nothing
is done twice: one capture per order, one shipment, one email of each kind. Stopping the
catalog gives the website's 503 page, and it recovers by itself.

What each drill saw (orders accepted during the outage, calls refused, time to ship) is
written to test-artifacts/containers/drills.json."""
from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from tests.containers.conftest import ARTIFACTS
from tests.support.containers import OrderStream, wait_for_order
from tests.support.gateway import stock_a_product
from tests.support.http import request

OUTAGE_SECONDS = 8


def record(drill: str, facts: dict) -> None:
    path = ARTIFACTS / "drills.json"
    drills = json.loads(path.read_text()) if path.exists() else {}
    drills[drill] = facts
    path.write_text(json.dumps(drills, indent=2) + "\n")


def assert_shipped_once(shop, accepted, timeout: float = 180) -> float:
    """Every accepted order ships; no capture, shipment or email happens twice. The seconds
    the last one took to ship after the drill."""
    start = time.monotonic()
    for user, order_id in accepted:
        order = wait_for_order(user, order_id, {"ORDER_STATUS_SHIPPED"}, timeout=max(5, timeout - (time.monotonic() - start)))
        assert order.get("status") == "ORDER_STATUS_SHIPPED", (order_id, order)
    shipped_after = time.monotonic() - start
    ids = "','".join(order_id for _, order_id in accepted)
    captures = shop.sql("payment", f"SELECT order_id, count(*) FROM payments WHERE order_id IN ('{ids}') "
                                   "AND captured_amount > 0 GROUP BY order_id")
    assert sorted(order_id for order_id, count in captures if count == "1") == sorted(o for _, o in accepted), captures
    shipments = shop.sql("shipping", f"SELECT count(*) FROM shipments WHERE order_id IN ('{ids}')")
    assert shipments == [[str(len(accepted))]]
    # Every email the shop sent is in Mailpit once (an email's Message-ID is the same on each
    # attempt), and each order has its three.
    sent = Counter(shop.all_message_ids())
    assert not [message_id for message_id, n in sent.items() if n > 1], "an email was delivered twice"
    for user in {user.email: user for user, _ in accepted}.values():
        orders = [order_id for u, order_id in accepted if u.email == user.email]
        deadline = time.monotonic() + 60
        while len(shop.emails_to(user.email)) < 3 * len(orders) and time.monotonic() < deadline:
            time.sleep(1)
        subjects = [message["Subject"] for message in shop.emails_to(user.email)]
        for order_id in orders:
            assert sum(order_id in subject for subject in subjects) == 3, (order_id, subjects)
    return shipped_after


@pytest.mark.parametrize("service", ["rabbitmq", "postgres", "cartservice"])
def test_orders_accepted_around_a_sigkill_all_ship_exactly_once(shop, service):
    product = stock_a_product(shop.gateway, stock=1000)
    with OrderStream(shop, product["id"]) as stream:
        stream.wait_for(3)
        before = len(stream.accepted)
        shop.compose("kill", "--signal", "SIGKILL", service)
        killed_at = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        during = len(stream.accepted) - before
        refused_during = len(stream.refused)
        shop.compose("start", service, timeout=120)
        shop.project.up(service)  # waits until it is healthy again
        back_after = time.monotonic() - killed_at
        stream.wait_for(3, timeout=120)
    shipped_after = assert_shipped_once(shop, stream.accepted)
    record(f"sigkill {service}", {
        "orders_accepted": len(stream.accepted), "accepted_during_outage": during,
        "calls_refused": len(stream.refused), "refused_during_outage": refused_during,
        "refusal_statuses": dict(Counter(stream.refused)), "healthy_again_after_s": round(back_after, 1),
        "all_shipped_within_s": round(shipped_after, 1), "duplicates": 0,
    })


def test_the_website_says_503_while_the_catalog_is_stopped_and_recovers_by_itself(shop):
    shop.compose("stop", "catalogservice", timeout=120)
    try:
        page = request("GET", shop.website_url + "/")
        assert page.status == 503, page.status
        text = page.body.decode()
        assert "Traceback" not in text and "grpc" not in text.lower()
        assert "<html" in text.lower()
    finally:
        shop.compose("start", "catalogservice", timeout=120)
    deadline = time.monotonic() + 90
    while (status := request("GET", shop.website_url + "/").status) != 200:
        assert time.monotonic() < deadline, f"the website still answers {status}"
        time.sleep(1)
