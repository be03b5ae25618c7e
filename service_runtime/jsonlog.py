"""JSON log lines on stdout, each carrying the timestamp, level, service name and message;
inside a call its request id; inside a recording span its trace and span ids."""
from __future__ import annotations

import contextvars
import logging
import sys

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

# The id of the call being handled; set by the server interceptor and the HTTP facade.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid and not hasattr(record, "request_id"):
            record.request_id = rid
        span = trace.get_current_span()
        if span.is_recording() and not hasattr(record, "trace_id"):  # not for unsampled traces
            span_context = span.get_span_context()
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route every logger to one JSON line per record on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp logs every request itself; the facade logs its own line instead.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
