"""Each query a pool runs is a span when tracing is on (service_runtime/query_spans.py),
against the real PostgreSQL: a CLIENT child of the current span named after the
statement's first word, with the statement but never its parameters; a failed query's
error recorded; no span for a query outside any request. The spans go to a provider of
the test's own (this process installs no global one)."""
from __future__ import annotations

import asyncio

import psycopg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased
from psycopg import sql
from psycopg.rows import dict_row

from service_runtime import query_spans, tracing_sdk
from service_runtime.query_spans import TracedCursor


@pytest.fixture(scope="module")
def database(postgres):
    postgres.create_databases(["query_spans"])
    return postgres.url("query_spans")


@pytest.fixture
def traced(monkeypatch):
    """The test's tracer (with the shop's sampler) in place of the global one, and its spans."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "unit"}),
                              sampler=ParentBased(root=tracing_sdk._QuietRoots()))  # noqa: SLF001
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    monkeypatch.setattr(query_spans, "_tracer", lambda: tracer)
    return tracer, exporter


def run(database: str, work):
    async def main():
        async with await psycopg.AsyncConnection.connect(database, cursor_factory=TracedCursor,
                                                          autocommit=True) as conn:
            return await work(conn)

    return asyncio.run(main())


def test_a_query_in_a_request_is_a_child_span_with_its_statement_but_not_its_parameters(database, traced):
    tracer, exporter = traced

    async def work(conn):
        with tracer.start_as_current_span("GetProduct", kind=trace.SpanKind.SERVER):
            row = await (await conn.execute("SELECT %s::text AS secret", ("hunter2",))).fetchone()
            named = await (await conn.cursor(row_factory=dict_row).execute("select 7 AS seven")).fetchone()
        return row, named

    assert run(database, work) == (("hunter2",), {"seven": 7})
    first, second, request = exporter.get_finished_spans()
    assert (first.name, first.kind, first.parent.span_id) == ("SELECT", trace.SpanKind.CLIENT, request.context.span_id)
    assert first.attributes["db.system"] == "postgresql" and first.attributes["db.name"] == "query_spans"
    assert first.attributes["db.statement"] == "SELECT %s::text AS secret"
    assert "hunter2" not in str(dict(first.attributes)) and isinstance(first.attributes["net.peer.port"], int)
    assert second.name == "SELECT" and second.parent.span_id == request.context.span_id


def test_executemany_and_a_composed_statement_are_spans_too(database, traced):
    tracer, exporter = traced

    async def work(conn):
        await conn.execute("CREATE TABLE IF NOT EXISTS notes (body text)")
        with tracer.start_as_current_span("AddNotes", kind=trace.SpanKind.SERVER):
            await conn.cursor().executemany("INSERT INTO notes (body) VALUES (%s)", [("a",), ("b",)])
            return await (await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("notes")))
                          ).fetchone()

    assert run(database, work)[0] >= 2
    names = [(s.name, s.attributes.get("db.statement")) for s in exporter.get_finished_spans()]
    assert names == [("INSERT", "INSERT INTO notes (body) VALUES (%s)"), ("SELECT", 'SELECT count(*) FROM "notes"'),
                     ("AddNotes", None)]


def test_a_failed_query_records_its_error(database, traced):
    tracer, exporter = traced

    async def work(conn):
        with tracer.start_as_current_span("Broken", kind=trace.SpanKind.SERVER):
            await conn.execute("SELECT 1 / 0")

    with pytest.raises(psycopg.errors.DivisionByZero):
        run(database, work)
    failed = exporter.get_finished_spans()[0]
    assert failed.status.status_code == trace.StatusCode.ERROR
    assert [event.attributes["exception.type"] for event in failed.events] == ["psycopg.errors.DivisionByZero"]


def test_a_query_outside_any_request_starts_no_trace(database, traced):
    _, exporter = traced

    async def work(conn):
        return await (await conn.execute("SELECT 1")).fetchone()

    assert run(database, work) == (1,)
    assert exporter.get_finished_spans() == ()
