"""One trace for a public API call, from the gateway down to the database: KrakenD 1.4
(krakend-opencensus) traces the call and sends its context to the backend as B3 headers,
and the service's HTTP facade continues that context, so the facade's SERVER span is the
child of the span KrakenD made for the backend call.

KrakenD exports its spans here to a Zipkin v2 collector the test runs on loopback; a
catalogservice of its own writes its spans to a file through SHOP_TRACE_FILE (the fixture
traced_catalog of tests/integration/conftest.py). The committed configuration exports nowhere and still sends
B3: the last test shows it."""
from __future__ import annotations

import contextlib
import http.server
import json
import threading

import pytest

from devstack import krakend
from tests.support.http import request
from tests.support.net import free_port, wait_for_port
from tests.support.services import wait_until
from tests.support.spans import read_spans

# A call that goes down to the database (the catalog answers product reads from memory).
SEARCH = "/api/v1/search?query=mug"


class ZipkinCollector(http.server.ThreadingHTTPServer):
    """On loopback: keeps the spans POSTed to it as Zipkin v2 JSON."""
    daemon_threads = True

    def __init__(self):
        self.spans: list[dict] = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                collector.spans.extend(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/api/v2/spans"


@contextlib.contextmanager
def zipkin_collector():
    collector = ZipkinCollector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        yield collector
    finally:
        collector.shutdown()
        collector.server_close()


@contextlib.contextmanager
def gateway_in_front_of(catalog_url: str, log_path, exporters=None):
    """KrakenD on a free loopback port with the catalog's endpoints at catalog_url (the
    others at a port where nothing listens); yields its URL."""
    unused = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    urls = {service: catalog_url if service == "catalogservice" else unused for service in krakend.DEFAULT_PORTS}
    with krakend.temporary_gateway(port, urls, log_path, exporters=exporters) as (_, process):
        try:
            wait_for_port(port, timeout=30)
        except TimeoutError:
            pytest.fail(f"krakend did not start (exit code {process.poll()}):\n{log_path.read_text()[-4000:]}")
        yield f"http://127.0.0.1:{port}"


def service_spans(trace_file, trace_id: str) -> list[dict] | None:
    """The service's spans of the trace, once its facade span and a query are in."""
    spans = [s for s in read_spans(trace_file) if s["trace_id"] == trace_id]
    facade = [s for s in spans if s["name"].startswith("HTTP GET ")]
    queries = [s for s in spans if s["attributes"].get("db.system") == "postgresql"]
    return spans if facade and queries else None


def gateway_spans(collector: ZipkinCollector) -> list[dict] | None:
    """KrakenD's exported spans, once a root (the router's SERVER span) is in."""
    spans = list(collector.spans)
    return spans if any(s.get("kind") == "SERVER" and "parentId" not in s for s in spans) else None


def test_a_gateway_call_is_one_trace_from_krakend_to_the_database(traced_catalog, artifacts_dir):
    service, trace_file = traced_catalog
    with zipkin_collector() as collector, gateway_in_front_of(
            service.http_url, artifacts_dir / "krakend-tracing.log",
            exporters={"zipkin": {"collector_url": collector.url, "service_name": "krakend"}}) as gateway:
        reply = request("GET", gateway + SEARCH)  # the one call: no trace context, no request id
        assert reply.status == 200, reply.body
        assert "stoneware-mug" in [p["id"] for p in reply.json()["products"]]
        exported = wait_until(lambda: gateway_spans(collector), 15, "KrakenD's spans", interval=0.2)

    (root,) = [s for s in exported if "parentId" not in s]
    assert (root["localEndpoint"]["serviceName"], root["kind"], root["name"]) == \
        ("krakend", "SERVER", "/api/v1/search")
    trace_id = root["traceId"]
    assert {s["traceId"] for s in exported} == {trace_id}
    # The facade's request id is its trace id, and that is KrakenD's.
    assert reply.headers["X-Request-Id"] == trace_id
    ours = wait_until(lambda: service_spans(trace_file, trace_id), 15, "the service's spans", interval=0.2)

    by_id = {s["span_id"]: s for s in ours}
    (facade,) = [s for s in ours if s["parent_span_id"] not in by_id]
    assert (facade["service"], facade["name"], facade["kind"]) == \
        ("catalogservice", "HTTP GET /v1/products:search", "SERVER")
    # The facade's parent is the span KrakenD made for this backend call, which it exported,
    # under the router's span.
    gateway_by_id = {s["id"]: s for s in exported}
    backend_call = gateway_by_id[facade["parent_span_id"]]
    assert backend_call["kind"] == "CLIENT"
    assert backend_call["tags"]["http.path"] == "/v1/products:search"
    chain = [backend_call]
    while "parentId" in chain[-1]:
        chain.append(gateway_by_id[chain[-1]["parentId"]])
    assert chain[-1] is root

    # Down to the database: the query is under the gRPC call, under the facade's span.
    query = next(s for s in ours if s["attributes"].get("db.system") == "postgresql")
    ancestors = [query]
    while ancestors[-1]["parent_span_id"] in by_id:
        ancestors.append(by_id[ancestors[-1]["parent_span_id"]])
    assert ancestors[-1] is facade
    assert any(s["kind"] == "SERVER" and "SearchProducts" in s["name"] for s in ancestors)


def test_the_committed_configuration_exports_nowhere_and_still_sends_the_trace_on(traced_catalog, tmp_path):
    assert krakend.load()["extra_config"][krakend.OPENCENSUS]["exporters"] == {}
    service, trace_file = traced_catalog
    with gateway_in_front_of(service.http_url, tmp_path / "krakend.log") as gateway:
        replies = [request("GET", gateway + SEARCH) for _ in range(2)]
    assert [r.status for r in replies] == [200, 200]
    facades = []
    for reply in replies:
        trace_id = reply.headers["X-Request-Id"]
        spans = wait_until(lambda: service_spans(trace_file, trace_id), 15, "the service's spans", interval=0.2)
        by_id = {s["span_id"]: s for s in spans}
        (facade,) = [s for s in spans if s["parent_span_id"] not in by_id]
        facades.append(facade)
    # Each call's facade span continues a context only KrakenD can have sent (the test sent
    # none): a trace of its own per call, under a parent that is not the service's.
    assert all(f["parent_span_id"] for f in facades)
    assert facades[0]["trace_id"] != facades[1]["trace_id"]
