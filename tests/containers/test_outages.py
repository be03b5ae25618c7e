"""Fault drills on the containers, as people run them on a demo shop: SIGKILL RabbitMQ, then
PostgreSQL, then cartservice, each in the middle of a stream of orders through the gateway,
then `docker compose start` it. Every order that was accepted reaches SHIPPED, and nothing
is done twice: one capture per order, one shipment, one email of each kind. Stopping the
catalog gives the website's 503 page, and it recovers by itself.

What each drill saw (orders accepted during the outage, calls refused, time to ship) is
written to test-artifacts/containers/drills.json."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.support.containers import OrderStream, assert_shipped_once, record
from tests.support.gateway import stock_a_product
from tests.support.http import request
from tests.support.services import wait_until

OUTAGE_SECONDS = 8


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
    wait_until(lambda: request("GET", shop.website_url + "/").status == 200, 90, "the website answering 200",
               interval=1)
