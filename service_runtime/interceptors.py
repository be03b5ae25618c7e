"""The server interceptor: one JSON log line and metrics per call, its span when tracing is
on (service_runtime/rpc_spans.py), a request id in context, domain errors turned into
status codes through the service's table, and anything unexpected turned into INTERNAL
without leaking internals."""
from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
import uuid
from pathlib import Path
from typing import Mapping

import grpc

from service_runtime import audit, deadlines, jsonlog, metrics, status_details, tracing
from service_runtime.call_log import CallLog
from service_runtime.rpc_spans import ServerSpan

log = logging.getLogger("service_runtime.calls")

REQUEST_ID_KEY = "x-request-id"
# A handler cancelled with less than this left was cancelled by its deadline.
DEADLINE_TOLERANCE = 0.1

ErrorTable = Mapping[type[BaseException], grpc.StatusCode]


def status_for(exc: BaseException, table: ErrorTable) -> grpc.StatusCode | None:
    """The status code the table gives the exception's class or its nearest ancestor."""
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


# The project's own code: its exceptions carry messages written for the caller.
_PROJECT = Path(__file__).resolve().parents[1]
# What a caller is told instead of a library's text (hosts, ports, SQL), which goes to the log.
_PUBLIC_TEXT = {
    grpc.StatusCode.INVALID_ARGUMENT: "a value in the request cannot be used (text with a NUL character, say)",
    grpc.StatusCode.UNAVAILABLE: "the service cannot reach what it depends on right now; try again shortly",
    grpc.StatusCode.DEADLINE_EXCEEDED: "the service took too long",
}


@functools.lru_cache(maxsize=256)
def written_for_callers(cls: type) -> bool:
    """Whether an exception class is the project's own (defined under its root): its
    message is then meant for the caller. A library's message is not."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    return bool(path) and Path(path).resolve().is_relative_to(_PROJECT) and "site-packages" not in path


def public_message(exc: BaseException, code: grpc.StatusCode, rid: str) -> str:
    """What the caller reads: the project's own message, or a stable one with the request id."""
    if written_for_callers(type(exc)):
        return str(exc)
    return f"{_PUBLIC_TEXT.get(code, 'the call failed')} (request id {rid})"


def _incoming_request_id(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_KEY and value and len(value) <= 128:
            return value
    return uuid.uuid4().hex



def _deadline_passed(context: grpc.aio.ServicerContext) -> bool:
    left = context.time_remaining()
    return left is not None and left < DEADLINE_TOLERANCE


class ServerInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, error_table: ErrorTable, call_log: CallLog = CallLog(), audit_log: audit.AuditLog | None = None):
        self._error_table = {**audit.STATUS_BY_ERROR, **error_table}
        self._call_log = call_log
        self._audit_log = audit_log
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}  # per method, made on its first call

    async def intercept_service(self, continuation, handler_call_details):
        wrapped = self._wrapped.get(handler_call_details.method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        wrapped = self._wrapped[handler_call_details.method] = self._observed(handler, handler_call_details.method)
        return wrapped

    def _observed(self, handler: grpc.RpcMethodHandler, full_method: str) -> grpc.RpcMethodHandler:
        service, _, method = full_method.lstrip("/").partition("/")
        inner = handler.unary_unary
        table = self._error_table
        call_log = self._call_log
        audit_log = self._audit_log if self._audit_log is not None and self._audit_log.records(full_method) else None

        async def observed(request, context: grpc.aio.ServicerContext):
            span = ServerSpan(full_method, context) if tracing.enabled() else None
            rid = _incoming_request_id(context)
            token = jsonlog.request_id.set(rid)
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            entry = response = unexpected = None
            details = ""
            try:
                context.set_trailing_metadata(((REQUEST_ID_KEY, rid),))
                if audit_log is not None:  # an admin action: no action without its entry
                    entry = await audit_log.begin(audit.caller_of(context.invocation_metadata(), context.peer()),
                                                  method, audit.target_of(request), audit.details_of(request))
                with deadlines.handling(context.time_remaining()):
                    response = await inner(request, context)
                code = context.code() or grpc.StatusCode.OK
                return response
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except asyncio.CancelledError:
                # The caller went away: its deadline passed (grpc cancels the handler at
                # about that moment, give or take the clocks' tick), or it cancelled the call.
                code = grpc.StatusCode.DEADLINE_EXCEEDED if _deadline_passed(context) else grpc.StatusCode.CANCELLED
                raise
            except Exception as exc:  # every failure leaves as a status, never a trace
                # One that came as the deadline passed (a query cut short by it, say) is what
                # the caller already has: DEADLINE_EXCEEDED.
                mapped = grpc.StatusCode.DEADLINE_EXCEEDED if _deadline_passed(context) else status_for(exc, table)
                if mapped is None:
                    code, unexpected = grpc.StatusCode.INTERNAL, exc
                    details = f"internal error (request id {rid})"
                    log.exception("unexpected error in %s", full_method)
                    await context.abort(code, details)
                code = mapped
                message = details = public_message(exc, code, rid)
                if message != str(exc):  # the detail is for the operator
                    log.warning("%s in %s: %s: %s", code.name, full_method, type(exc).__name__, exc)
                status = status_details.rich_status(code, message, exc)
                if status is not None:  # its trailers replace ours: keep the request id in them
                    await context.abort_with_status(status._replace(
                        trailing_metadata=(*status.trailing_metadata, (REQUEST_ID_KEY, rid))))
                await context.abort(code, message)
            finally:
                elapsed = time.perf_counter() - started
                if isinstance(code, int):  # context.code() may give the raw integer
                    code = next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
                if entry is not None:
                    await audit_log.finish_quietly(entry, code.name, audit.target_of(request, response))
                metrics.GRPC_HANDLED.labels(service, method, code.name).inc()
                metrics.GRPC_SECONDS.labels(service, method).observe(elapsed)
                if call_log.wants(code != grpc.StatusCode.OK, elapsed * 1000):
                    log.info(
                        "rpc",
                        extra={
                            "method": full_method,
                            "code": code.name,
                            "duration_ms": round(elapsed * 1000, 3),
                            "request_id": rid,
                        },
                    )
                jsonlog.request_id.reset(token)
                if span is not None:
                    span.end(code, details, unexpected)

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
