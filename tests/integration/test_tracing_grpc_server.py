"""The span of each gRPC call a traced service serves (service_runtime/rpc_spans.py):
a child of the caller's span when the call carries a sampled traceparent, nothing when the
caller did not sample it, a trace of its own when it carries none; named after the
method, with the rpc.* attributes and the status code; current while the call's log line
is written, so the line names its trace."""
from __future__ import annotations

import json
import secrets

import grpc
import pytest

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.services import wait_until
from tests.support.spans import read_spans

GET_PRODUCT = "/shop.catalog.v1.CatalogService/GetProduct"


@pytest.fixture(scope="module")
def catalog(traced_catalog):
    service, trace_file = traced_catalog
    with grpc.insecure_channel(service.address) as channel:
        yield catalog_pb2_grpc.CatalogServiceStub(channel), service, trace_file


def spans_of(trace_file, trace_id: str) -> list[dict]:
    return [s for s in read_spans(trace_file) if s["trace_id"] == trace_id]


def test_a_call_in_a_sampled_trace_is_served_in_a_child_span(catalog):
    stub, _, trace_file = catalog
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    reply = stub.GetProduct(catalog_pb2.GetProductRequest(id="stoneware-mug"), timeout=5,
                            metadata=(("traceparent", f"00-{trace_id}-{parent_id}-01"),))
    assert reply.product.id == "stoneware-mug"
    (served,) = wait_until(lambda: spans_of(trace_file, trace_id), 10, "the call's span", interval=0.1)
    assert (served["name"], served["kind"], served["parent_span_id"]) == (GET_PRODUCT, "SERVER", parent_id)
    attributes = served["attributes"]
    assert {key: attributes[key] for key in ("rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code")} == \
        {"rpc.system": "grpc", "rpc.service": "shop.catalog.v1.CatalogService", "rpc.method": "GetProduct",
         "rpc.grpc.status_code": 0}
    assert attributes["net.peer.ip"] == "127.0.0.1" and attributes["net.peer.port"].isdigit()


def test_a_call_the_caller_did_not_sample_records_nothing(catalog):
    stub, _, trace_file = catalog
    unsampled, sampled = secrets.token_hex(16), secrets.token_hex(16)
    for trace_id, flags in ((unsampled, "00"), (sampled, "01")):
        stub.GetProduct(catalog_pb2.GetProductRequest(id="stoneware-mug"), timeout=5,
                        metadata=(("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"),))
    # Spans are written as they end, in order: once the later call's is in, the earlier's would be.
    wait_until(lambda: spans_of(trace_file, sampled), 10, "the sampled call's span", interval=0.1)
    assert spans_of(trace_file, unsampled) == []


def test_a_call_without_a_trace_starts_one_and_its_log_line_names_it(catalog):
    stub, service, trace_file = catalog
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetProduct(catalog_pb2.GetProductRequest(id="no-such-product"), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    rid = dict(missing.value.trailing_metadata())["x-request-id"]

    def logged() -> dict | None:
        lines = [json.loads(line) for line in service.log_text().splitlines() if rid in line and line.startswith("{")]
        return next((line for line in lines if line.get("message") == "rpc"), None)

    line = wait_until(logged, 10, "the failed call's log line", interval=0.1)
    assert line["code"] == "NOT_FOUND"
    (served,) = wait_until(lambda: spans_of(trace_file, line["trace_id"]), 10, "the call's span", interval=0.1)
    assert served["span_id"] == line["span_id"] and served["parent_span_id"] is None
    assert served["name"] == GET_PRODUCT and served["attributes"]["rpc.grpc.status_code"] == 5
