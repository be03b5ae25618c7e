"""The observability profile in containers, without Grafana (it has no source that can be
built here: docs/containers.md): with OTEL_EXPORTER_OTLP_ENDPOINT pointing at the
collector, an order placed through the gateway is one trace in Jaeger across the services
and the broker, and Prometheus scrapes every process and RabbitMQ."""
from __future__ import annotations

import urllib.parse

from devstack.containers import ComposeShop
from devstack.ports import free_port
from tests.support.containers import shipped_order
from tests.support.http import request
from tests.support.services import wait_until

TOOLS = ("otel-collector", "jaeger", "prometheus")
# One order's trace reaches these: checkout calls cart, catalog and payment; the event goes
# over RabbitMQ to payment, shipping, email and recommendation.
TRACED = {"checkoutservice", "cartservice", "catalogservice", "paymentservice", "shippingservice", "emailservice",
          "recommendationservice"}


def test_an_order_is_one_trace_in_jaeger_and_prometheus_scrapes_every_process(shop, tmp_path):
    jaeger, prometheus = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    env_file = tmp_path / "traced.env"
    env_file.write_text(shop.project.env_file.read_text() + "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318\n"
                        f"JAEGER_UI_PUBLISH={jaeger}\nPROMETHEUS_UI_PUBLISH={prometheus}\n")
    traced = ComposeShop(shop.project.engine, shop.project.project, env_file)
    default = traced.compose("config", "--services").stdout.split()
    # The shop's containers are recreated with tracing on; Grafana is left out.
    traced.up(*default, *TOOLS, profiles=("observability",))

    shipped_order(shop.gateway, "traced")

    def order_trace():
        query = urllib.parse.urlencode({"service": "checkoutservice", "limit": 50, "lookback": "1h"})
        reply = request("GET", f"http://{jaeger}/api/traces?{query}")
        if reply.status != 200:
            return None
        # Tracing was off until the shop was recreated: this order is the one PlaceOrder traced.
        for trace in reply.json().get("data") or []:
            if any(span["operationName"].endswith("PlaceOrder") for span in trace["spans"]):
                services = {process["serviceName"] for process in trace["processes"].values()}
                if TRACED <= services:
                    return services
        return None
    services = wait_until(order_trace, 90, f"one trace of the order across {sorted(TRACED)} in Jaeger", interval=2)
    assert TRACED <= services

    def targets():
        reply = request("GET", f"http://{prometheus}/api/v1/targets")
        active = reply.json()["data"]["activeTargets"] if reply.status == 200 else []
        health = {target["labels"]["job"]: target["health"] for target in active}
        return health if health and all(h == "up" for h in health.values()) else None
    health = wait_until(targets, 90, "every Prometheus target up", interval=2)
    assert {*TRACED, "identityservice", "frontend", "rabbitmq"} <= set(health), health
