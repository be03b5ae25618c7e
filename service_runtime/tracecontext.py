"""W3C trace context for events, tied to the request id: a call's request id (32 hex
digits) is the trace id of the events it causes, and a consumer handling such an event
takes that trace id as its request id. So one id follows an order from PlaceOrder
through every service's log lines. This is the path when tracing is off; when it is on
(service_runtime/tracing.py) the outbox stores the current span's traceparent instead."""
from __future__ import annotations

import re
import secrets

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
# What a caller's request id may be to be used as it is: it travels on as gRPC metadata,
# which takes printable ASCII only.
_USABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_for(header: str | None) -> str:
    """The request id of an incoming HTTP request: the caller's (X-Request-Id) if usable,
    else the trace id of the span in context (one id in logs and traces), else a new one."""
    from service_runtime import tracing  # its OpenTelemetry imports are needed only here

    if header and _USABLE_REQUEST_ID.fullmatch(header):
        return header
    return tracing.current_trace_id() or secrets.token_hex(16)


def traceparent_for(request_id: str) -> str:
    """A traceparent whose trace id is the request id (or a new one if it cannot be)."""
    trace_id = request_id if _TRACE_ID.match(request_id or "") and request_id != "0" * 32 else secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


def trace_id_of(traceparent: str | None) -> str:
    """The trace id of a well-formed traceparent, else ""."""
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else ""
