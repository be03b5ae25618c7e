"""Tracing through the HTTP/JSON facade (what KrakenD calls): each transcoded request is a
SERVER span that roots the trace (or continues the caller's traceparent), with the gRPC
call and the database under it; with tracing off nothing is traced and nothing changes.

A catalogservice of its own (tests/integration/conftest.py: traced_catalog) writes its
spans to a file; the session's untraced catalogservice is the tracing-off face."""
from __future__ import annotations

import asyncio
import secrets

from aiohttp.test_utils import TestClient, TestServer

from service_runtime import http_facade, tracing
from shop.catalog.v1 import catalog_pb2
from tests.support.http import request
from tests.support.services import wait_until
from tests.support.spans import read_spans

PRODUCT = "/v1/products/stoneware-mug"
# A call that goes down to the database (the catalog answers product reads from memory).
SEARCH = "/v1/products:search?query=mug"


def facade_trace(trace_file, trace_id: str) -> list[dict] | None:
    """The trace's spans once its facade span, the gRPC server span and a query are in."""
    trace = [s for s in read_spans(trace_file) if s["trace_id"] == trace_id]
    facade = [s for s in trace if s["name"].startswith("HTTP GET ")]
    served = [s for s in trace if s["kind"] == "SERVER" and "SearchProducts" in s["name"]]
    queries = [s for s in trace if s["attributes"].get("db.system") == "postgresql"]
    return trace if facade and served and queries else None


def ancestors(span: dict, by_id: dict) -> list[dict]:
    chain = []
    while span["parent_span_id"] in by_id:
        span = by_id[span["parent_span_id"]]
        chain.append(span)
    return chain


def test_a_facade_call_is_one_trace_rooted_at_the_facades_server_span(traced_catalog):
    service, trace_file = traced_catalog
    reply = request("GET", service.http_url + SEARCH)
    assert reply.status == 200, reply.body
    trace_id = reply.headers["X-Request-Id"]  # no id sent: the trace id is the request id
    assert len(trace_id) == 32
    trace = wait_until(lambda: facade_trace(trace_file, trace_id), 15, "the facade call's spans", interval=0.2)

    by_id = {s["span_id"]: s for s in trace}
    (root,) = [s for s in trace if s["parent_span_id"] not in by_id]
    assert root["parent_span_id"] is None
    assert (root["service"], root["name"], root["kind"]) == ("catalogservice", "HTTP GET /v1/products:search", "SERVER")
    assert root["attributes"]["http.request.method"] == "GET"
    assert root["attributes"]["http.route"] == "/v1/products:search"
    assert root["attributes"]["http.response.status_code"] == 200
    (served,) = [s for s in trace if s["kind"] == "SERVER" and "SearchProducts" in s["name"]]
    client = by_id[served["parent_span_id"]]
    assert client["kind"] == "CLIENT" and client["parent_span_id"] == root["span_id"]
    query = next(s for s in trace if s["attributes"].get("db.system") == "postgresql")
    assert served in ancestors(query, by_id)


def test_a_caller_traceparent_is_continued_and_a_caller_request_id_kept(traced_catalog):
    service, trace_file = traced_catalog
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    reply = request("GET", service.http_url + SEARCH, headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
    assert reply.status == 200 and reply.headers["X-Request-Id"] == trace_id
    trace = wait_until(lambda: facade_trace(trace_file, trace_id), 15, "the continued trace", interval=0.2)
    (root,) = [s for s in trace if s["name"] == "HTTP GET /v1/products:search"]
    assert root["parent_span_id"] == parent_id

    missing = request("GET", service.http_url + "/v1/products/no-such-product",
                      headers={"traceparent": f"00-{trace_id}-{parent_id}-01", "X-Request-Id": "caller-42"})
    assert missing.status == 404 and missing.headers["X-Request-Id"] == "caller-42"
    failed = wait_until(lambda: [s for s in read_spans(trace_file) if s["trace_id"] == trace_id
                                 and s["name"].startswith("HTTP ") and s["span_id"] != root["span_id"]],
                        15, "the second facade span")
    assert failed[0]["attributes"]["http.response.status_code"] == 404


def test_health_and_metrics_are_not_traced(traced_catalog):
    service, trace_file = traced_catalog
    assert request("GET", service.http_url + "/healthz").status == 200
    assert request("GET", service.http_url + "/metrics").status == 200
    reply = request("GET", service.http_url + SEARCH)  # a traced call after them, to know spans are flushed
    wait_until(lambda: facade_trace(trace_file, reply.headers["X-Request-Id"]), 15, "a later trace", interval=0.2)
    assert not [s for s in read_spans(trace_file) if "healthz" in s["name"] or "metrics" in s["name"]]


def test_with_tracing_off_responses_are_the_same_and_the_traceparent_is_ignored(traced_catalog, catalog_service):
    traced, _ = traced_catalog
    trace_id = secrets.token_hex(16)
    headers = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    on = request("GET", traced.http_url + PRODUCT, headers=headers)
    off = request("GET", catalog_service.http_url + PRODUCT, headers=headers)
    assert off.status == on.status == 200 and off.headers["Content-Type"] == on.headers["Content-Type"]

    def stable(reply):  # the two databases were seeded at different times
        return {k: v for k, v in reply.json()["product"].items() if k not in ("createTime", "updateTime", "stock")}

    assert stable(off) == stable(on)
    assert off.headers["X-Request-Id"] != trace_id and len(off.headers["X-Request-Id"]) == 32
    kept = request("GET", catalog_service.http_url + PRODUCT, headers={**headers, "X-Request-Id": "caller-7"})
    assert kept.headers["X-Request-Id"] == "caller-7"


class _Health:
    serving = True
    results: dict = {}


class _Channel:
    """A gRPC channel stand-in that answers every call with one product."""

    def unary_unary(self, path, request_serializer, response_deserializer):
        async def call(message, timeout, metadata):
            return catalog_pb2.GetProductResponse(product=catalog_pb2.Product(id=message.id, name="Mug"))
        return call


def test_with_tracing_off_the_facade_never_touches_a_tracer(monkeypatch):
    assert not tracing.enabled()  # this test process installs no provider

    def no_tracer(*_args, **_kwargs):
        raise AssertionError("a tracer was asked for with tracing off")

    monkeypatch.setattr(tracing, "tracer", no_tracer)
    app = http_facade.build_app([catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]],
                                _Channel, _Health(), timeout=5)

    async def call():
        async with TestClient(TestServer(app)) as client:
            reply = await client.get(PRODUCT, headers={"traceparent": f"00-{'a' * 32}-{'b' * 16}-01"})
            return reply.status, await reply.json(), reply.headers["X-Request-Id"]

    status, body, rid = asyncio.run(call())
    assert status == 200 and body["product"]["id"] == "stoneware-mug"
    assert rid != "a" * 32
