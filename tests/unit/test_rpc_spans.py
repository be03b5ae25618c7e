"""A served call's span (service_runtime/rpc_spans.py): the caller's context read from
the metadata, the peer split into address and port, the span current until it ends, and
status ERROR only for the codes that mean the server failed."""
from __future__ import annotations

import asyncio

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased

from service_runtime import rpc_spans, tracing_sdk
from service_runtime.rpc_spans import ClientSpan, ServerSpan

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


def local_tracer() -> tuple[trace.Tracer, InMemorySpanExporter]:
    """A tracer of the test's own, with the shop's sampler (the global provider is never touched)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "unit"}),
                              sampler=ParentBased(root=tracing_sdk._QuietRoots()))  # noqa: SLF001
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def served(metadata=(), code=grpc.StatusCode.OK, error=None):
    """The finished span of one call, and the span current while it was served."""
    tracer, exporter = local_tracer()
    span = ServerSpan(METHOD, _Context(metadata), tracer)
    current = trace.get_current_span()
    span.end(code, "what went wrong", error)
    assert trace.get_current_span() is not current, "the span is no longer current once ended"
    return exporter.get_finished_spans(), current


def test_the_peer_becomes_address_and_port():
    assert rpc_spans.rpc_attributes(METHOD, "ipv4:10.2.1.1:57284,127.0.0.1:57284") == {
        "rpc.system": "grpc", "rpc.service": "shop.catalog.v1.CatalogService", "rpc.method": "GetProduct",
        "net.peer.ip": "10.2.1.1", "net.peer.port": "57284"}
    ipv6 = rpc_spans.rpc_attributes(METHOD, "ipv6:%5B::1%5D:40000")
    assert (ipv6["net.peer.ip"], ipv6["net.peer.port"]) == ("[::1]", "40000")
    assert "net.peer.ip" not in rpc_spans.rpc_attributes(METHOD, "unix:/run/shop.sock")


def test_the_callers_context_is_read_only_from_a_call_that_carries_one():
    parent = trace.get_current_span(rpc_spans.parent_context(
        (("x-request-id", "r-1"), ("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01")))).get_span_context()
    assert (format(parent.trace_id, "032x"), format(parent.span_id, "016x")) == (TRACE_ID, PARENT_ID)
    assert not trace.get_current_span(rpc_spans.parent_context((("x-request-id", "r-1"),))).get_span_context().is_valid


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


def test_an_outgoing_call_is_a_child_span_whose_context_goes_with_the_call():
    tracer, exporter = local_tracer()
    with tracer.start_as_current_span("GET /cart") as page:
        call = ClientSpan(METHOD, (("x-request-id", "r-1"),), tracer)
        call.end(grpc.StatusCode.OK)
    (span, _) = exporter.get_finished_spans()
    assert (span.name, span.kind, span.parent.span_id) == (METHOD, trace.SpanKind.CLIENT, page.get_span_context().span_id)
    assert span.attributes == {"rpc.system": "grpc", "rpc.service": "shop.catalog.v1.CatalogService",
                               "rpc.method": "GetProduct", "rpc.grpc.status_code": 0}
    ids = (format(span.context.trace_id, "032x"), format(span.context.span_id, "016x"),
           format(span.context.trace_flags, "02x"))
    assert call.metadata == (("x-request-id", "r-1"), ("traceparent", "00-{}-{}-{}".format(*ids)))
    assert span.context.trace_flags.sampled


def test_a_failed_outgoing_call_is_an_error_whatever_its_code():
    tracer, exporter = local_tracer()
    with tracer.start_as_current_span("GET /cart"):
        call = ClientSpan(METHOD, None, tracer)
        call.end(grpc.StatusCode.NOT_FOUND, "no such product")
    span = exporter.get_finished_spans()[0]
    assert span.attributes["rpc.grpc.status_code"] == 5
    assert (span.status.status_code, span.status.description) == (trace.StatusCode.ERROR, "no such product")


def test_a_background_call_is_not_recorded_and_tells_the_callee_so():
    tracer, exporter = local_tracer()
    assert trace.get_current_span() is trace.INVALID_SPAN and otel_context.get_current() == {}
    call = ClientSpan(METHOD, None, tracer)
    call.end(grpc.StatusCode.OK)
    assert exporter.get_finished_spans() == ()
    ((key, value),) = call.metadata
    assert key == "traceparent" and not int(value[-2:], 16) & 1, "the callee follows: not sampled"


def test_a_failures_code_and_details_for_the_span():
    failed = grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "gone")
    assert rpc_spans.outcome(failed) == (grpc.StatusCode.UNAVAILABLE, "gone")
    assert rpc_spans.outcome(asyncio.CancelledError()) == (grpc.StatusCode.CANCELLED, "CancelledError")


def test_with_tracing_off_the_websites_channel_is_the_bare_channel():
    channel = grpc.insecure_channel("127.0.0.1:9")
    try:
        assert rpc_spans.traced(channel) is channel
    finally:
        channel.close()
