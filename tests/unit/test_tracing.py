"""Tracing set-up and log lines: ids of the span a line is written in, nothing installed
when there is nowhere to send spans, and background noise left out of traces."""
from __future__ import annotations

import json
import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased

from service_runtime import jsonlog, tracing, tracing_sdk
from service_runtime.config import ConfigError


def local_provider(exporter) -> TracerProvider:
    """A provider of the test's own (the global one is never touched here)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "unit"}),
                              sampler=ParentBased(root=tracing_sdk._QuietRoots()))  # noqa: SLF001
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def logged_lines(capsys, emit) -> list[dict]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        jsonlog.configure_logging("unit")
        emit()
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_log_line_inside_a_span_carries_its_trace_and_span_ids(capsys):
    exporter = InMemorySpanExporter()
    tracer = local_provider(exporter).get_tracer("test")

    def emit():
        with tracer.start_as_current_span("handling"):
            logging.getLogger("unit").info("inside")
        logging.getLogger("unit").info("outside")

    inside, outside = logged_lines(capsys, emit)
    (span,) = exporter.get_finished_spans()
    assert inside["trace_id"] == format(span.context.trace_id, "032x")
    assert inside["span_id"] == format(span.context.span_id, "016x")
    assert {"timestamp", "level", "service", "message"} <= set(inside) and inside["service"] == "unit"
    assert "trace_id" not in outside and "span_id" not in outside


def test_the_request_id_stays_beside_the_trace_ids(capsys):
    tracer = local_provider(InMemorySpanExporter()).get_tracer("test")

    def emit():
        token = jsonlog.request_id.set("r-1")
        try:
            with tracer.start_as_current_span("call"):
                logging.getLogger("unit").info("inside")
        finally:
            jsonlog.request_id.reset(token)

    (line,) = logged_lines(capsys, emit)
    assert line["request_id"] == "r-1" and len(line["trace_id"]) == 32


def test_with_nowhere_to_send_spans_nothing_is_installed():
    assert tracing.configure_tracing("unit", environ={}) is None
    assert not tracing.enabled()
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert tracing.current_traceparent() is None
    assert not trace.get_tracer("x").start_span("free").is_recording()


def test_background_polling_and_health_checks_start_no_trace():
    exporter = InMemorySpanExporter()
    tracer = local_provider(exporter).get_tracer("test")
    with tracer.start_as_current_span("SELECT outbox", kind=trace.SpanKind.CLIENT):
        with tracer.start_as_current_span("beneath it"):
            pass
    with tracer.start_as_current_span("/grpc.health.v1.Health/Check", kind=trace.SpanKind.SERVER):
        pass
    with tracer.start_as_current_span("POST /checkout", kind=trace.SpanKind.SERVER):
        with tracer.start_as_current_span("SELECT cart", kind=trace.SpanKind.CLIENT):
            pass
    assert [s.name for s in exporter.get_finished_spans()] == ["SELECT cart", "POST /checkout"]


def test_the_trace_file_gets_one_json_line_per_span(tmp_path):
    path = tmp_path / "spans.jsonl"
    tracer = local_provider(tracing_sdk.JsonLinesSpanExporter(str(path))).get_tracer("test")
    with tracer.start_as_current_span("parent", kind=trace.SpanKind.SERVER) as parent:
        with tracer.start_as_current_span("child", attributes={"n": 1, "tags": ("a", "b")}):
            pass
    child, parent_line = (json.loads(line) for line in path.read_text().splitlines())
    assert child["trace_id"] == parent_line["trace_id"] == format(parent.get_span_context().trace_id, "032x")
    assert child["parent_span_id"] == parent_line["span_id"] and parent_line["parent_span_id"] is None
    assert child["service"] == "unit" and child["attributes"] == {"n": 1, "tags": ["a", "b"]}
    assert parent_line["kind"] == "SERVER"


def test_a_traceparent_names_the_parent_of_what_is_started_in_its_context():
    exporter = InMemorySpanExporter()
    tracer = local_provider(exporter).get_tracer("test")
    stored = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with tracer.start_as_current_span("relay", context=tracing.context_from(stored), kind=trace.SpanKind.PRODUCER):
        pass
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(span.parent.span_id, "016x") == "b7ad6b7169203331"


def test_a_share_of_new_traces_is_kept_and_calls_inside_a_trace_follow_their_caller():
    assert tracing.root_ratio({}) == 1.0
    assert tracing.root_ratio({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                               "OTEL_TRACES_SAMPLER_ARG": "0.25"}) == 0.25
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(root=tracing_sdk._QuietRoots(0.25)))  # noqa: SLF001
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    kept = 0
    for _ in range(2000):
        with tracer.start_as_current_span("GET /", kind=trace.SpanKind.SERVER) as root:
            with tracer.start_as_current_span("child"):
                pass
        kept += root.get_span_context().trace_flags.sampled
    assert 400 <= kept <= 600, f"about a quarter of 2000 roots kept, not {kept}"
    spans = exporter.get_finished_spans()
    assert len(spans) == 2 * kept, "a kept trace is kept whole, a dropped one wholly dropped"
    assert len({s.context.trace_id for s in spans}) == kept


def test_a_sampler_the_shop_does_not_offer_stops_the_process_with_a_clear_message():
    for env, named in (({"OTEL_TRACES_SAMPLER": "always_off"}, "OTEL_TRACES_SAMPLER"),
                       ({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
                        "OTEL_TRACES_SAMPLER_ARG"),
                       ({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"},
                        "OTEL_TRACES_SAMPLER_ARG")):
        with pytest.raises(ConfigError, match=named):
            tracing.root_ratio(env)
