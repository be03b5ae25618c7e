"""A served call's span (service_runtime/server_spans.py): the caller's context read from
the metadata, the peer split into address and port, the span current until it ends, and
status ERROR only for the codes that mean the server failed."""
from __future__ import annotations

import grpc
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased

from service_runtime import server_spans, tracing_sdk
from service_runtime.server_spans import ServerSpan

TRACE_ID, PARENT_ID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
METHOD = "/shop.catalog.v1.CatalogService/GetProduct"


class _Context:
    """What the span reads of a servicer context: the metadata and the peer."""

    def __init__(self, metadata=(), peer="ipv4:127.0.0.1:57284"):
        self._metadata, self._peer = metadata, peer

    def invocation_metadata(self):
        return self._metadata

    def peer(self):
        return self._peer


def served(metadata=(), code=grpc.StatusCode.OK, error=None):
    """The finished span of one call, and the span current while it was served."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "unit"}),
                              sampler=ParentBased(root=tracing_sdk._QuietRoots()))  # noqa: SLF001
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = ServerSpan(METHOD, _Context(metadata), provider.get_tracer("test"))
    current = trace.get_current_span()
    span.end(code, "what went wrong", error)
    assert trace.get_current_span() is not current, "the span is no longer current once ended"
    return exporter.get_finished_spans(), current


def test_the_peer_becomes_address_and_port():
    assert server_spans.rpc_attributes(METHOD, "ipv4:10.2.1.1:57284,127.0.0.1:57284") == {
        "rpc.system": "grpc", "rpc.service": "shop.catalog.v1.CatalogService", "rpc.method": "GetProduct",
        "net.peer.ip": "10.2.1.1", "net.peer.port": "57284"}
    ipv6 = server_spans.rpc_attributes(METHOD, "ipv6:%5B::1%5D:40000")
    assert (ipv6["net.peer.ip"], ipv6["net.peer.port"]) == ("[::1]", "40000")
    assert "net.peer.ip" not in server_spans.rpc_attributes(METHOD, "unix:/run/shop.sock")


def test_the_callers_context_is_read_only_from_a_call_that_carries_one():
    parent = trace.get_current_span(server_spans.parent_context(
        (("x-request-id", "r-1"), ("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01")))).get_span_context()
    assert (format(parent.trace_id, "032x"), format(parent.span_id, "016x")) == (TRACE_ID, PARENT_ID)
    assert not trace.get_current_span(server_spans.parent_context((("x-request-id", "r-1"),))).get_span_context().is_valid


def test_a_call_in_a_sampled_trace_is_a_child_span_current_while_served():
    (span,), current = served((("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01"),))
    assert current.get_span_context().span_id == span.context.span_id
    assert (span.name, span.kind, format(span.parent.span_id, "016x")) == (METHOD, trace.SpanKind.SERVER, PARENT_ID)
    assert span.attributes["rpc.grpc.status_code"] == 0 and span.attributes["net.peer.port"] == "57284"
    assert span.status.status_code == trace.StatusCode.UNSET


def test_a_callers_mistake_is_no_server_failure_but_an_internal_error_is():
    (refused,), _ = served(code=grpc.StatusCode.NOT_FOUND)
    assert refused.attributes["rpc.grpc.status_code"] == 5 and refused.status.status_code == trace.StatusCode.UNSET
    (failed,), _ = served(code=grpc.StatusCode.INTERNAL, error=KeyError("price"))
    assert failed.status.status_code == trace.StatusCode.ERROR
    assert failed.status.description == "StatusCode.INTERNAL:what went wrong"
    assert [event.name for event in failed.events] == ["exception"]


def test_a_call_the_caller_did_not_sample_records_nothing():
    spans, current = served((("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-00"),))
    assert spans == () and not current.is_recording()
    assert format(current.get_span_context().trace_id, "032x") == TRACE_ID, "the trace goes on, unsampled"
