"""Outgoing gRPC: every call gets a deadline (the caller's or the default, never past what
the call being handled has left: deadlines.py) and carries the current request id; when
tracing is on, a client span and the W3C trace context (service_runtime/rpc_spans.py).

The defaults are added by the channel's multicallables, not by a client interceptor:
grpc.aio runs each interceptor as a layer of calls and tasks of its own, which cost more
than the call it wraps on a fast path (the cart asking the catalog, checkout's fan-out)."""
from __future__ import annotations

import grpc

from service_runtime import deadlines, jsonlog, tracing
from service_runtime.interceptors import REQUEST_ID_KEY
from service_runtime.rpc_spans import ClientSpan


class _WithDefaults:
    """A unary-unary multicallable whose calls get the default deadline (capped by the
    handled call's), the request id, and their span when tracing is on."""

    def __init__(self, call: grpc.aio.UnaryUnaryMultiCallable, method: str, timeout: float):
        self._call = call
        self._method = method
        self._timeout = timeout

    def __call__(self, request, *, timeout: float | None = None, metadata=None, **kwargs):
        rid = jsonlog.request_id.get()
        if rid and not any(key == REQUEST_ID_KEY for key, _ in metadata or ()):
            metadata = (*(metadata or ()), (REQUEST_ID_KEY, rid))
        own = self._timeout if timeout is None else timeout
        if tracing.enabled():
            return self._traced(request, deadlines.capped(own), metadata, kwargs)
        return self._call(request, timeout=deadlines.capped(own), metadata=metadata, **kwargs)

    async def _traced(self, request, timeout: float | None, metadata, kwargs: dict):
        with ClientSpan(self._method, metadata) as span:
            return await self._call(request, timeout=timeout, metadata=span.metadata, **kwargs)


class _Channel:
    """A grpc.aio channel whose unary calls carry the defaults; everything else is the
    channel's own."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float):
        self._channel = channel
        self._timeout = timeout

    def unary_unary(self, method: str, *args, **kwargs) -> _WithDefaults:
        return _WithDefaults(self._channel.unary_unary(method, *args, **kwargs), method, self._timeout)

    def __getattr__(self, name: str):
        return getattr(self._channel, name)

    async def __aenter__(self) -> "_Channel":
        await self._channel.__aenter__()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self._channel.__aexit__(*exc_info)


def connect(address: str, *, timeout: float) -> grpc.aio.Channel:
    """A channel to another service whose calls never wait longer than `timeout` unless
    the caller sets its own deadline."""
    return _Channel(grpc.aio.insecure_channel(address), timeout)
