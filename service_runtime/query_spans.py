"""The span of each query a service's pool runs, made by a cursor class of the shop's own
(service_runtime/db.py gives it to the pool's connections when tracing is on) instead of
OpenTelemetry's psycopg instrumentation. That one did its work for every query, sampled
or not: a layer of calls around each execute, the statement searched for comments and
split into words to name the span, a context manager and the context attached and
detached; in the order pipeline at 10 % sampling it was the largest part of what tracing
cost (docs/performance.md). Here a query's span is started and ended, and its attributes
are set only when it is recorded.

The span is what it was: named after the statement's first word ("SELECT", "INSERT"),
CLIENT kind, a child of the current span (a query outside any request, such as a pool's
ping or the outbox relay's poll, starts no trace), with db.system, db.name, db.statement
(never the parameters) and the server's address; an error is recorded, with status
ERROR."""
from __future__ import annotations

import functools
from typing import Any

import psycopg
from opentelemetry import trace
from psycopg import sql


@functools.cache
def _tracer() -> trace.Tracer:
    return trace.get_tracer(__name__)


def statement_text(query: Any, cursor: psycopg.AsyncCursor) -> str:
    if isinstance(query, sql.Composable):
        return query.as_string(cursor)
    return query.decode() if isinstance(query, bytes) else str(query)


def operation(statement: str) -> str:
    """The span's name: the statement's first word, "postgresql" for an empty one."""
    words = statement.split(None, 1)
    return words[0].upper() if words else "postgresql"


class TracedCursor(psycopg.AsyncCursor):
    """An async cursor whose execute and executemany are each a span (ended on the way out;
    an exception is recorded on it, with status ERROR)."""

    async def execute(self, query, params=None, **kwargs):
        with self._span(query):
            return await super().execute(query, params, **kwargs)

    async def executemany(self, query, params_seq, **kwargs):
        with self._span(query):
            await super().executemany(query, params_seq, **kwargs)

    def _span(self, query) -> trace.Span:
        statement = statement_text(query, self)
        span = _tracer().start_span(operation(statement), kind=trace.SpanKind.CLIENT)
        if span.is_recording():
            info = self.connection.info
            span.set_attributes({"db.system": "postgresql", "db.name": info.dbname, "db.statement": statement,
                                 "net.peer.name": info.host, "net.peer.port": info.port})
        return span
