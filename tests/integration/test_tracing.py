"""Tracing end to end: one order placed on the website is ONE trace, from the browser's
POST /checkout through checkout, catalog, cart, payment authorization, the outbox relay
and every consumer down to the email; and the log lines written inside it carry its ids.

Every process of a private shop (its own databases on the session's PostgreSQL, its own
RabbitMQ vhost, the session's Redis) and the website (gunicorn, as in production) write
their finished spans to one file through SHOP_TRACE_FILE; the test reads it."""
from __future__ import annotations

import json
import re
import secrets
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import requests

from tests.integration.catalog_helpers import create_product, usd
from tests.integration.test_frontend_cart import checkout_form, csrf_token
from tests.support import scale
from tests.support.services import ServiceProcess, wait_until
from tests.support.spans import read_spans
from tests.support.website import Website

ORDER_PATH = re.compile(r"/orders/([A-Za-z0-9_-]+)$")
# A queue of each consuming service that one shipped order's events reach.
CONSUMER_QUEUES = {
    "catalogservice": "catalog.checkout-events",
    "paymentservice": "payment.checkout-events",
    "shippingservice": "shipping.checkout-events",
    "emailservice": "email.checkout-events",
    "recommendationservice": "recommendation.checkout-events",
    "checkoutservice": "checkout.payment-events",
}


@pytest.fixture(scope="module")
def traced_shop(postgres, redis_server, rabbitmq, artifacts_dir, tmp_path_factory):
    databases = ("catalog", "shipping", "payment", "email", "checkout", "recommendation")
    with scale.own_backing(postgres, rabbitmq, "trace", databases) as backing:
        yield from _traced_shop(backing, redis_server, artifacts_dir, tmp_path_factory)


def _traced_shop(backing, redis_server, artifacts_dir, tmp_path_factory):
    db, amqp_url, suffix = backing.databases, backing.amqp_url, backing.suffix
    trace_file = tmp_path_factory.mktemp("traces") / "spans.jsonl"
    logs = artifacts_dir / f"tracing-{suffix}"
    logs.mkdir()
    traced = {"SHOP_TRACE_FILE": str(trace_file), "OTEL_EXPORTER_OTLP_ENDPOINT": ""}

    def service(module: str, **env: str) -> ServiceProcess:
        return ServiceProcess(module, {**traced, **env}, logs / f"{module}.log")

    catalog = service("catalogservice", DATABASE_URL=db["catalog"], AMQP_URL=amqp_url)
    payment = service("paymentservice", DATABASE_URL=db["payment"], AMQP_URL=amqp_url)
    email = service("emailservice", DATABASE_URL=db["email"], AMQP_URL=amqp_url,
                    MAIL_DIR=str(tmp_path_factory.mktemp("trace-mail")))
    cart = service("cartservice", REDIS_URL=redis_server.url, CATALOG_ADDR=catalog.address)
    recommendation = service("recommendationservice", DATABASE_URL=db["recommendation"], AMQP_URL=amqp_url,
                             CATALOG_ADDR=catalog.address)
    shipping = service("shippingservice", DATABASE_URL=db["shipping"], AMQP_URL=amqp_url,
                       CATALOG_ADDR=catalog.address)
    checkout = service("checkoutservice", DATABASE_URL=db["checkout"], AMQP_URL=amqp_url,
                       CART_ADDR=cart.address, CATALOG_ADDR=catalog.address,
                       SHIPPING_ADDR=shipping.address, PAYMENT_ADDR=payment.address)
    processes = [catalog, payment, email, cart, shipping, checkout, recommendation]
    website = None
    try:
        with ThreadPoolExecutor(len(processes)) as pool:
            for started in [pool.submit(p.start, 90) for p in processes]:
                started.result()
        website = Website({"CATALOG_ADDR": catalog.address, "CART_ADDR": cart.address,
                           "CHECKOUT_ADDR": checkout.address, "SHIPPING_ADDR": shipping.address,
                           "IDENTITY_ADDR": catalog.address},  # the order needs no identity calls
                          logs / "frontend.log", WEB_WORKERS="1", **traced).start()
        yield website, catalog, trace_file, logs
    finally:
        if website is not None:
            website.stop()
        for process in processes:
            process.stop()


def place_order(site_url: str, product_id: str) -> str:
    web = requests.Session()
    cart_page = web.get(f"{site_url}/cart", timeout=10).text
    added = web.post(f"{site_url}/cart/items", timeout=10, allow_redirects=False,
                     data={"csrf_token": csrf_token(cart_page), "product_id": product_id, "quantity": "2"})
    assert added.status_code in (302, 303), added.text[:2000]
    form = checkout_form(web.get(f"{site_url}/cart", timeout=10).text)
    placed = web.post(f"{site_url}/checkout", data=form, timeout=30, allow_redirects=False)
    assert placed.status_code == 303, placed.text[:2000]
    order_id = ORDER_PATH.search(placed.headers["Location"]).group(1)
    wait_until(lambda: web.get(f"{site_url}/orders/{order_id}/status", timeout=10).json()["status"] == "SHIPPED",
               60, "the order shipped", interval=0.5)
    return order_id


def test_one_order_is_one_trace_from_the_browser_to_the_email(traced_shop):
    website, catalog, trace_file, logs = traced_shop
    with grpc.insecure_channel(catalog.address) as channel:
        product = create_product(channel, stock=50, price=usd(12, 500_000_000))
    place_order(website.url, product.id)

    def checkout_trace() -> list[dict] | None:
        spans = read_spans(trace_file)
        posts = [s for s in spans if s["service"] == "frontend" and s["kind"] == "SERVER"
                 and s["name"].startswith("POST") and "checkout" in s["name"]]
        if len(posts) != 1:
            return None
        trace = [s for s in spans if s["trace_id"] == posts[0]["trace_id"]]
        handled = {(s["service"], s["attributes"].get("messaging.destination.name"))
                   for s in trace if s["kind"] == "CONSUMER" and s["name"].split()[1:2] == ["process"]}
        shipped_emails = [s for s in trace if s["service"] == "emailservice" and " process " in s["name"]]
        # The last events of the journey (shipped, and its email) must have arrived too.
        return trace if handled >= set(CONSUMER_QUEUES.items()) and len(shipped_emails) >= 3 else None

    trace = wait_until(checkout_trace, 30, "every consumer's span in the checkout trace", interval=0.5)
    services = Counter(s["service"] for s in trace)
    print("spans in the checkout trace by service:", dict(services))
    assert {"frontend", "checkoutservice", "catalogservice", "cartservice", "paymentservice",
            "shippingservice", "emailservice", "recommendationservice"} <= set(services)

    by_id = {s["span_id"]: s for s in trace}
    roots = [s for s in trace if s["parent_span_id"] not in by_id]
    assert [(r["service"], r["name"]) for r in roots] == [("frontend", roots[0]["name"])] and \
        roots[0]["kind"] == "SERVER", "one root: the browser's request"

    relays = [s for s in trace if s["name"].startswith("outbox relay ")]
    assert {s["service"] for s in relays} >= {"checkoutservice", "paymentservice", "shippingservice"}
    assert all(s["kind"] == "PRODUCER" for s in relays)
    # Each consumer's handling descends from a relay's publish: the context crossed the broker.
    publishers: dict[str, set] = defaultdict(set)
    for handling in (s for s in trace if s["kind"] == "CONSUMER" and " process " in s["name"]):
        ancestor = by_id.get(handling["parent_span_id"])
        while ancestor is not None and not ancestor["name"].startswith("outbox relay "):
            ancestor = by_id.get(ancestor["parent_span_id"])
        assert ancestor is not None, f"{handling['service']} {handling['name']} does not descend from a relay"
        publishers[handling["service"]].add(ancestor["service"])
    assert set(publishers) == set(CONSUMER_QUEUES)
    assert publishers["emailservice"] == publishers["recommendationservice"] == {"checkoutservice"}
    assert publishers["checkoutservice"] == {"paymentservice", "shippingservice"}
    # Payment's authorization is a call inside the request; the database and Redis are traced too.
    names = {(s["service"], s["name"]) for s in trace}
    assert any(svc == "paymentservice" and "Authorize" in name for svc, name in names), names
    assert any(s["attributes"].get("db.system") in ("postgresql", "redis") for s in trace)

    # The log lines written inside the order's spans carry its trace id and their span's id.
    logged = [line for line in log_lines(logs) if line.get("trace_id") == roots[0]["trace_id"]]
    assert {line["service"] for line in logged} >= set(services), "every process logged inside the trace"
    assert all(line["span_id"] in by_id for line in logged), "each line names a span of the trace"
    assert any(line["service"] == "frontend" and line["route"] == "/checkout" and line["status"] == 303
               for line in logged), "the website's line for the POST itself"


def test_a_page_continues_its_callers_trace_and_health_and_static_files_are_not_traced(traced_shop):
    website, catalog, trace_file, _ = traced_shop
    with grpc.insecure_channel(catalog.address) as channel:
        product = create_product(channel, stock=5, price=usd(3))
    page, missing, untraced = (secrets.token_hex(16) for _ in range(3))
    parent = secrets.token_hex(8)

    def get(path: str, trace_id: str) -> int:
        headers = {"traceparent": f"00-{trace_id}-{parent}-01"}
        return requests.get(f"{website.url}{path}", headers=headers, timeout=10).status_code

    assert get("/_healthz", untraced) == 200 and get("/static/favicon.svg", untraced) == 200
    assert get(f"/products/{product.id}", page) == 200
    assert get("/no-such-page", missing) == 404

    def served(trace_id: str) -> dict | None:
        return next((s for s in read_spans(trace_file) if s["trace_id"] == trace_id
                     and s["service"] == "frontend" and s["kind"] == "SERVER"), None)

    request_span = wait_until(lambda: served(page), 15, "the page's span", interval=0.2)
    assert (request_span["name"], request_span["parent_span_id"]) == ("GET /products/<product_id>", parent)
    assert {key: request_span["attributes"].get(key) for key in (
        "http.request.method", "http.route", "url.path", "http.response.status_code")} == {
        "http.request.method": "GET", "http.route": "/products/<product_id>", "url.path": f"/products/{product.id}",
        "http.response.status_code": 200}
    # Its calls are its children, and the catalog served GetProduct under the website's call.
    spans = {s["span_id"]: s for s in read_spans(trace_file) if s["trace_id"] == page}
    get_product = [s for s in spans.values() if s["service"] == "catalogservice" and s["kind"] == "SERVER"
                   and s["name"].endswith("/GetProduct")]
    assert get_product, "the catalog's span of GetProduct"
    call = spans[get_product[0]["parent_span_id"]]
    assert (call["service"], call["kind"], call["parent_span_id"]) == ("frontend", "CLIENT", request_span["span_id"])

    not_found = wait_until(lambda: served(missing), 15, "the missing page's span", interval=0.2)
    assert not_found["name"] == "HTTP" and not_found["attributes"]["http.response.status_code"] == 404
    assert not [s for s in read_spans(trace_file) if s["trace_id"] == untraced]


def log_lines(logs) -> list[dict]:
    """Every line the shop's processes wrote to their logs; each must be JSON with the
    timestamp, level, service and message (gunicorn's own lines included)."""
    lines = []
    for path in logs.glob("*.log"):
        for text in path.read_text().splitlines():
            line = json.loads(text)
            assert {"timestamp", "level", "service", "message"} <= set(line), f"{path.name}: {text}"
            lines.append(line)
    return lines
