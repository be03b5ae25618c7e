"""The spans of gRPC calls, made by the shop's own code instead of OpenTelemetry's gRPC
instrumentation: a served call's span by the server interceptor
(service_runtime/interceptors.py), an outgoing call's by the services' channels
(service_runtime/clients.py) and the website's (`traced`).

OpenTelemetry's instrumentation did its work on every call, sampled or not: on the
server it read every propagator whatever the metadata held, parsed the peer's address,
put a proxy around the servicer context and built a new handler for each call; on the
client it added a layer of interceptors (in grpc.aio, tasks of their own), copied the
metadata twice and wrapped the call's outcome. That was most of what tracing at 10 %
cost (docs/performance.md). Here the caller's context is read only when a call carries
one, attributes are set only on a recorded span, and nothing wraps the call but a span.

The spans are the same as before: named after the method ("/shop.cart.v1.CartService/
GetCart"), SERVER or CLIENT kind, the rpc.* attributes and the status code; status ERROR
on a client span for any failure, on a server span for the codes that mean the server
failed. An outgoing call always carries its span's W3C context, recorded or not, so a
callee follows its caller's decision and background calls stay out of traces."""
from __future__ import annotations

import functools
from urllib.parse import unquote

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from service_runtime import tracing

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
    """The caller's context, read from a call's metadata or a request's headers (a sequence
    of (lower-case key, value) pairs), or an empty one (a new trace)."""
    if any(key in CONTEXT_KEYS for key, _ in metadata):
        return propagate.extract(dict(metadata))
    return otel_context.Context()


def rpc_attributes(full_method: str, peer: str = "") -> dict[str, str | int]:
    """A span's attributes: "/shop.catalog.v1.CatalogService/GetProduct" as service and
    method, and the peer, when given ("ipv4:127.0.0.1:57284", "ipv6:[::1]:57284"), as
    address and port."""
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


class ClientSpan:
    """One outgoing call's span, a child of the current one; `metadata` is the call's,
    with the span's context added for the callee."""

    __slots__ = ("_span", "metadata")

    def __init__(self, full_method: str, metadata=None, tracer: trace.Tracer | None = None):
        self._span = (tracer or _tracer()).start_span(full_method, kind=trace.SpanKind.CLIENT)
        if self._span.is_recording():
            self._span.set_attributes(rpc_attributes(full_method))
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(self._span))
        self.metadata = (*(metadata or ()), *carrier.items())

    def __enter__(self) -> "ClientSpan":
        return self

    def __exit__(self, _type, error: BaseException | None, _traceback) -> None:
        """End with the call's outcome: OK, or the failure's code and details."""
        if error is None:
            self.end(grpc.StatusCode.OK)
        else:
            self.end(*outcome(error))

    def end(self, code: grpc.StatusCode, details: str = "") -> None:
        span = self._span
        if span.is_recording():
            span.set_attribute("rpc.grpc.status_code", code.value[0])
            if code != grpc.StatusCode.OK:
                span.set_status(trace.Status(trace.StatusCode.ERROR, details))
        span.end()


def outcome(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """A failed call's status code and details, for its span."""
    if isinstance(error, grpc.RpcError):
        return error.code(), error.details() or ""
    return grpc.StatusCode.CANCELLED, type(error).__name__  # cancelled, or interrupted in the caller


class _TracedUnaryUnary:
    """A synchronous unary multicallable whose direct calls each get a client span."""

    def __init__(self, call: grpc.UnaryUnaryMultiCallable, method: str):
        self._call = call
        self._method = method

    def __call__(self, request, timeout=None, metadata=None, **kwargs):
        with ClientSpan(self._method, metadata) as span:
            return self._call(request, timeout=timeout, metadata=span.metadata, **kwargs)

    def __getattr__(self, name: str):  # with_call and future: the website uses neither; not traced
        return getattr(self._call, name)


class _TracedChannel:
    """A synchronous channel whose unary calls are traced; everything else is the channel's own."""

    def __init__(self, channel: grpc.Channel):
        self._channel = channel

    def unary_unary(self, method: str, *args, **kwargs) -> _TracedUnaryUnary:
        return _TracedUnaryUnary(self._channel.unary_unary(method, *args, **kwargs), method)

    def __getattr__(self, name: str):
        return getattr(self._channel, name)


def traced(channel: grpc.Channel) -> grpc.Channel:
    """The website's channel as it should be used: with client spans when tracing is on
    (configured before any channel is made), the bare channel otherwise."""
    return _TracedChannel(channel) if tracing.enabled() else channel
