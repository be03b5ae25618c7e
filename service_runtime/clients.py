"""Outgoing gRPC: every call gets a deadline (the caller's or the default) and carries
the current request id. (When tracing is on, the grpc instrumentation adds its client
span and the W3C trace context to every channel made here.)"""
from __future__ import annotations

import grpc

from service_runtime import jsonlog
from service_runtime.interceptors import REQUEST_ID_KEY


class _DefaultDeadline(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, timeout: float):
        self._timeout = timeout

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        timeout = client_call_details.timeout if client_call_details.timeout is not None else self._timeout
        metadata = grpc.aio.Metadata(*(client_call_details.metadata or ()))
        rid = jsonlog.request_id.get()
        if rid and REQUEST_ID_KEY not in metadata:
            metadata.add(REQUEST_ID_KEY, rid)
        details = grpc.aio.ClientCallDetails(
            client_call_details.method, timeout, metadata,
            client_call_details.credentials, client_call_details.wait_for_ready,
        )
        return await continuation(details, request)


def connect(address: str, *, timeout: float) -> grpc.aio.Channel:
    """A channel to another service whose calls never wait longer than `timeout` unless
    the caller sets its own deadline."""
    return grpc.aio.insecure_channel(address, interceptors=[_DefaultDeadline(timeout)])
