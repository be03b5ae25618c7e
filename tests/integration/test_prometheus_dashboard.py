"""The dashboard against a real Prometheus scraping the real shop: Debian's prometheus,
on loopback, with the jobs and metrics paths of deploy/observability/prometheus.yml (only
the targets move to this session's ports), scrapes every service, the website's metrics
port and RabbitMQ's per-queue metrics. After one shopper's visit (a product page, a cart,
an order that ships, and a checkout refused for an empty cart), every panel's query is
accepted by Prometheus and, but for the failures panel, has data; the funnel counts the
visit at every step."""
from __future__ import annotations

import subprocess
import time
import urllib.parse
from dataclasses import dataclass

import grpc
import pytest
import requests
import yaml

from devstack import processes
from shop.checkout.v1 import checkout_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd
from tests.integration.checkout_helpers import new_shopper, place_request, refusal
from tests.integration.test_tracing import place_order
from tests.support import observability as obs
from tests.support.net import free_port, listening_addresses
from tests.support.services import wait_until

# Panels whose data needs something this visit does not do: failures and dead letters.
MAY_BE_EMPTY = {"Consumer failures and dead letters"}


@dataclass
class Prometheus:
    url: str

    def query(self, expr: str) -> dict:
        reply = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = reply.json()
        assert reply.status_code == 200 and body["status"] == "success", f"{expr}\n{body}"
        return body["data"]

    def series(self, expr: str) -> list[dict]:
        data = self.query(expr)
        assert data["resultType"] == "vector", expr
        return data["result"]

    def metric_names(self) -> set[str]:
        return set(requests.get(f"{self.url}/api/v1/label/__name__/values", timeout=10).json()["data"])

    def targets(self) -> list[dict]:
        return requests.get(f"{self.url}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]


def netloc(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def scrape_config(targets: dict[str, str], rabbitmq_path: str) -> dict:
    """deploy/observability/prometheus.yml with each job's target moved to this session's
    address for it, scraped every second; jobs, paths and everything else as committed."""
    config = obs.prometheus_config()
    assert set(obs.scrape_jobs(config)) == set(targets), "a job the test does not know how to reach"
    config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    assert obs.scrape_jobs(config)["rabbitmq"]["metrics_path"] == rabbitmq_path
    return config


@pytest.fixture(scope="module")
def prometheus(catalog_service, cart_service, checkout_service, payment_service, shipping_service, email_service,
               identity_service, recommendation_service, website, rabbitmq, tmp_path_factory, artifacts_dir):
    if not obs.PROMETHEUS.exists():
        pytest.fail(f"{obs.PROMETHEUS} is missing: run scripts/install-system-packages.sh (Debian's prometheus)")
    services = [catalog_service, cart_service, checkout_service, payment_service, shipping_service, email_service,
                identity_service, recommendation_service]
    targets = {service.module: netloc(service.http_url) for service in services}
    targets["frontend"] = netloc(website.metrics_url)
    targets["rabbitmq"] = netloc(rabbitmq.metrics_url)
    directory = tmp_path_factory.mktemp("prometheus")
    config_path = directory / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(scrape_config(targets, urllib.parse.urlsplit(rabbitmq.metrics_url).path)))
    port = free_port()
    log = open(artifacts_dir / "prometheus.log", "ab")
    process = subprocess.Popen(
        [str(obs.PROMETHEUS), f"--config.file={config_path}", f"--storage.tsdb.path={directory / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {process.returncode}: see {artifacts_dir / 'prometheus.log'}")
            try:
                return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(ready, 30, "prometheus ready")
        yield Prometheus(url)
    finally:
        processes.stop(process, grace=10)
        log.close()


def scraped_since(prometheus: Prometheus, moment: float, scrapes: int = 2) -> None:
    """Wait until Prometheus has scraped every target `scrapes` times after `moment`."""
    expr = f"count(timestamp(up) > {moment + scrapes - 0.5}) == {len(obs.scrape_jobs())}"
    wait_until(lambda: prometheus.series(expr), 15 + scrapes, f"{scrapes} scrapes of every target", interval=0.5)


def refuse_an_empty_cart(checkout_channel) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        checkout_pb2_grpc.CheckoutServiceStub(checkout_channel).PlaceOrder(place_request(new_shopper()), timeout=10)
    assert refusal(refused.value)[0] == "CART_EMPTY"


@pytest.fixture(scope="module")
def visit(prometheus, website, catalog_channel, checkout_channel, catalog_service):
    """One shopper's visit: the home page, a product page (and the same product through the
    catalog's JSON face, as the gateway reads it), a cart, an order followed until it ships;
    and a checkout refused because the cart is empty.

    Prometheus counts a series from its first sample, so a counter that first appears at 1
    shows no increase: the product page and the refusal are visited once before, and
    scraped, so that the visit itself shows in every step of the funnel."""
    product = create_product(catalog_channel, stock=20, price=usd(15))
    assert requests.get(f"{website.url}/products/{product.id}", timeout=10).status_code == 200
    refuse_an_empty_cart(checkout_channel)
    scraped_since(prometheus, time.time())

    assert requests.get(f"{website.url}/", timeout=10).status_code == 200
    assert requests.get(f"{website.url}/products/{product.id}", timeout=10).status_code == 200
    assert requests.get(f"{catalog_service.http_url}/v1/products/{product.id}", timeout=10).status_code == 200
    order_id = place_order(website.url, product.id)  # through the cart and checkout pages, until SHIPPED
    refuse_an_empty_cart(checkout_channel)
    return order_id


@pytest.fixture(scope="module")
def scraped(prometheus, visit):
    """Prometheus, once the visit's last effects are scraped (the order shipped, its emails,
    the refusal) and every target has been scraped twice more: a rate needs two samples."""
    wait_until(lambda: prometheus.series('sum(shop_orders_total{status="SHIPPED"}) > 0')
               and prometheus.series('sum(email_outcomes_total{outcome="sent"}) > 0')
               and prometheus.series('sum(shop_checkout_refusals_total{reason="CART_EMPTY"}) > 1'),
               30, "the visit scraped", interval=0.5)
    scraped_since(prometheus, time.time())
    return prometheus


def test_every_process_is_a_target_and_up(scraped):
    targets = scraped.targets()
    assert {t["labels"]["job"] for t in targets} == set(obs.scrape_jobs())
    wait_until(lambda: all(t["health"] == "up" for t in scraped.targets()), 10, "every target up")
    up = {s["metric"]["job"]: s["value"][1] for s in scraped.series("up")}
    assert up == {job: "1" for job in obs.scrape_jobs()}


def test_every_metric_the_dashboard_uses_is_scraped(scraped):
    wanted = {name for query in obs.queries() for name in obs.metric_names(query.expr)}
    assert wanted <= scraped.metric_names(), sorted(wanted - scraped.metric_names())


def test_every_panel_query_runs_and_shows_the_visit(scraped):
    empty = []
    for query in obs.queries():
        if not scraped.series(query.expr) and query.panel not in MAY_BE_EMPTY:
            empty.append(query.name)
    assert not empty, f"queries without data after the visit: {empty}"


def values(prometheus: Prometheus, expr: str, label: str) -> dict[str, float]:
    return {s["metric"].get(label, ""): float(s["value"][1]) for s in prometheus.series(expr)}


def test_the_funnel_counts_the_visit_at_every_step(scraped):
    [funnel] = [p for p in obs.panels() if p["title"].startswith("Funnel")]
    for target in funnel["targets"]:
        [step] = scraped.series(obs.concrete(target["expr"]))
        assert float(step["value"][1]) > 0, target["legendFormat"]


def test_red_panels_break_down_by_process(scraped):
    by_title = {q.panel: q for q in obs.queries() if q.ref_id == "A"}
    grpc_jobs = values(scraped, by_title["gRPC requests"].expr, "job")
    assert {"catalogservice", "cartservice", "checkoutservice", "paymentservice", "shippingservice"} <= set(grpc_jobs)
    assert grpc_jobs["checkoutservice"] > 0
    assert set(values(scraped, by_title["gRPC latency p95"].expr, "job")) >= {"catalogservice", "checkoutservice"}
    errors = values(scraped, by_title["gRPC server errors"].expr, "job")
    assert set(errors) == set(grpc_jobs), "a ratio for every service, 0 without errors"
    non_ok = scraped.series(by_title["gRPC answers other than OK"].expr)
    assert {"checkoutservice"} <= {s["metric"]["job"] for s in non_ok}, "the empty cart's refusal"
    assert {"frontend", "catalogservice"} <= set(values(scraped, by_title["HTTP requests"].expr, "job"))
    routes = values(scraped, by_title["Website pages"].expr, "route")
    assert {"/products/<product_id>", "/cart", "/checkout"} <= set(routes)


def test_the_event_panels_see_the_pipeline(scraped):
    by_title = {q.panel: q for q in obs.queries() if q.ref_id == "A"}
    outboxes = values(scraped, by_title["Outbox backlog"].expr, "job")
    assert {"catalogservice", "checkoutservice", "paymentservice", "shippingservice"} <= set(outboxes)
    handled = scraped.series('sum by (queue) (messaging_messages_total{outcome="handled"}) > 0')
    assert {"payment.checkout-events", "shipping.checkout-events", "email.checkout-events"} <= \
        {s["metric"]["queue"] for s in handled}
    assert "checkout.payment-events" in values(scraped, by_title["Handling time p95"].expr, "queue")
    refusals = values(scraped, 'sum by (reason) (shop_checkout_refusals_total)', "reason")
    assert refusals.get("CART_EMPTY", 0) >= 2


def test_rabbitmqs_queues_and_dead_letter_queues_are_on_the_dashboard(scraped, rabbitmq):
    by_title = {q.panel: q for q in obs.queries() if q.ref_id == "A"}
    ready = values(scraped, by_title["Ready messages"].expr, "queue")
    assert {"payment.checkout-events", "email.checkout-events", "checkout.shipping-events"} <= set(ready)
    assert not any(queue.endswith(".dlq") for queue in ready)
    dead = values(scraped, by_title["Dead-letter queues"].expr, "queue")
    assert "payment.checkout-events.dlq" in dead and all(queue.endswith(".dlq") for queue in dead)
    consumers = values(scraped, by_title["Consumers per queue"].expr, "queue")
    assert consumers["payment.checkout-events"] >= 1
    # The node serves its metrics on loopback only.
    assert listening_addresses(rabbitmq.prometheus_port) == [f"127.0.0.1:{rabbitmq.prometheus_port}"]
