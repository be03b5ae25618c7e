"""The span of each gRPC call a service serves, made by the shop's own server interceptor
(service_runtime/interceptors.py) instead of OpenTelemetry's gRPC server
instrumentation. That one did its work on every call, sampled or not: it read every
propagator whatever the metadata held, parsed the peer's address into attributes, put a
proxy around the servicer context and built a new handler for each call; at 10 % sampling
that was most of what tracing cost a service (docs/performance.md). Here the caller's
context is read only when the call carries one, and attributes are set only on a span
that is recorded. The span is the same: named after the method, SERVER kind, the rpc.*
attributes, status ERROR for the codes that mean the server failed."""
from __future__ import annotations

import functools
from urllib.parse import unquote

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

# Metadata keys any of the shop's propagators reads (W3C trace context and baggage, B3
# single and multiple headers): a call without one of them starts a trace of its own.
CONTEXT_KEYS = frozenset({"traceparent", "tracestate", "baggage", "b3", "x-b3-traceid"})
# The codes for which a server span's status is ERROR (OpenTelemetry's semantic conventions
# for gRPC servers: the others are the caller's mistake, not the server's failure).
SERVER_FAILURES = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED,
                             grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INTERNAL,
                             grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS})


@functools.cache
def _tracer() -> trace.Tracer:
    return trace.get_tracer(__name__)


def parent_context(metadata) -> otel_context.Context:
    """The caller's context, read from the call's metadata, or an empty one (a new trace)."""
    if any(key in CONTEXT_KEYS for key, _ in metadata):
        return propagate.extract(dict(metadata))
    return otel_context.Context()


def rpc_attributes(full_method: str, peer: str) -> dict[str, str | int]:
    """The span's attributes: "/shop.catalog.v1.CatalogService/GetProduct" as service and
    method, and the peer ("ipv4:127.0.0.1:57284", "ipv6:[::1]:57284") as address and port."""
    service, _, method = full_method.lstrip("/").partition("/")
    attributes: dict[str, str | int] = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}
    transport, _, address = peer.partition(",")[0].partition(":")
    if transport in ("ipv4", "ipv6"):
        ip, _, port = address.rpartition(":")
        attributes.update({"net.peer.ip": unquote(ip), "net.peer.port": port})
    return attributes


class ServerSpan:
    """One served call's span, current in the handler's context from its start to end()."""

    __slots__ = ("_span", "_token")

    def __init__(self, full_method: str, context: grpc.aio.ServicerContext, tracer: trace.Tracer | None = None):
        parent = parent_context(context.invocation_metadata() or ())
        self._span = (tracer or _tracer()).start_span(full_method, parent, kind=trace.SpanKind.SERVER)
        if self._span.is_recording():
            self._span.set_attributes(rpc_attributes(full_method, context.peer()))
        self._token = otel_context.attach(trace.set_span_in_context(self._span, parent))

    def end(self, code: grpc.StatusCode, details: str = "", error: BaseException | None = None) -> None:
        """Close the span with the call's status code (and an unexpected error, recorded)."""
        span = self._span
        if span.is_recording():
            span.set_attribute("rpc.grpc.status_code", code.value[0])
            if code in SERVER_FAILURES:
                span.set_status(trace.Status(trace.StatusCode.ERROR, f"{code}:{details}"))
            if error is not None:
                span.record_exception(error)
        span.end()
        otel_context.detach(self._token)
