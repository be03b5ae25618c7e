"""The machinery of the tracing table of `make bench`: the no-op OTLP sink counts what a
process traced with the bench's 'on' environment exports, answers the way the OTLP
exporter takes for success, and sees nothing from a process with the 'off' environment,
even when the bench's own environment names an endpoint."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench import otlp_sink
from bench.tracing_cost import tracing_env
from tests.support.services import REPO

# A traced process in miniature: tracing configured as every service configures it, from
# the environment; a root span with two children; spans flushed as the process exits.
PROBE = """
from service_runtime import tracing
tracing.configure_tracing("bench-probe", instrumentations=())
with tracing.tracer().start_as_current_span("order"):
    for step in ("quote", "charge"):
        with tracing.tracer().start_as_current_span(step):
            pass
"""


def run_probe(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, check=True, timeout=60)


def test_the_sink_counts_the_spans_a_process_traced_with_the_on_environment_exports():
    with otlp_sink.running() as sink:
        assert sink.stats() == otlp_sink.Stats()
        run_probe({**os.environ, **tracing_env(sink.endpoint)})
        received = sink.stats()
    assert received.spans == 3
    assert received.services == {"bench-probe": 3}
    assert received.requests >= 1 and received.bytes > 0


def test_a_process_with_the_off_environment_exports_nothing_even_with_an_endpoint_around():
    with otlp_sink.running() as sink:
        around = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint}
        run_probe(around)  # the endpoint alone traces: the sink is reachable
        assert sink.stats().spans == 3
        run_probe({**around, **tracing_env(None)})
        assert sink.stats().spans == 3  # the probe has exited: anything it had would be here


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_the_sink_answers_an_export_with_success(compression):
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "bench-direct"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for name in ("a", "b"):
        provider.get_tracer("test").start_span(name).end()
    with otlp_sink.running() as sink:
        exporter = OTLPSpanExporter(endpoint=sink.endpoint + otlp_sink.TRACES_PATH, compression=compression)
        assert exporter.export(memory.get_finished_spans()) is SpanExportResult.SUCCESS
        assert sink.stats().services == {"bench-direct": 2}


def test_the_sink_stops_with_its_context():
    with otlp_sink.running() as sink:
        port = int(sink.endpoint.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
