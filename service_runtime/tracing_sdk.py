"""The SDK's side of service_runtime/tracing.py, imported only when a process sends its
spans somewhere: the tracer provider with the shop's sampler, the span processors, the
propagators, and the official instrumentations (gRPC calls' and queries' spans are the
shop's own: service_runtime/rpc_spans.py, query_spans.py)."""
from __future__ import annotations

import json
import logging
import os
import threading
from typing import Iterable

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.b3 import B3MultiFormat
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("service_runtime.tracing")

_NOISE = ("grpc.health.v1.", "grpc.reflection.")


def install(service_name: str, ratio: float, exporter=None, trace_file: str = "", otlp: bool = False):
    """Install the global tracer provider (sampling `ratio` of new traces) with a processor
    for each place spans go, and the propagators; returns the provider."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}),
                              sampler=ParentBased(root=_QuietRoots(ratio)))
    processors = _span_processors(exporter, trace_file, otlp)
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(CompositePropagator([_B3Extraction(), TraceContextTextMapPropagator(),
                                                      W3CBaggagePropagator()]))
    log.info("tracing on", extra={"exporters": [type(p.span_exporter).__name__ for p in processors]})
    return provider


def _span_processors(exporter, trace_file: str, otlp: bool) -> list:
    processors = []
    if exporter is not None:
        processors.append(SimpleSpanProcessor(exporter))
    if trace_file:
        processors.append(SimpleSpanProcessor(JsonLinesSpanExporter(trace_file)))
    if otlp:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter()))
    return processors


def instrument(names: Iterable[str]) -> None:
    """Turn on the named instrumentations (tracing.SERVICE_INSTRUMENTATIONS)."""
    for name in names:
        if name == "redis":
            from opentelemetry.instrumentation.redis import RedisInstrumentor

            RedisInstrumentor().instrument()
        else:
            raise ValueError(f"unknown instrumentation {name!r}")


class _B3Extraction(B3MultiFormat):
    """B3 read, never written: the gateway (KrakenD 1.4) sends B3, the shop speaks W3C. Put
    before traceparent's propagator, so a traceparent wins when a request carries both."""

    def inject(self, carrier, context=None, setter=None) -> None:
        pass

    @property
    def fields(self) -> set[str]:
        return set()


class _QuietRoots(Sampler):
    """Root sampler: never background polling (a client span nobody's request caused) nor
    health and reflection calls; of the rest, the share `ratio` (by trace id)."""

    def __init__(self, ratio: float = 1.0):
        self._share = TraceIdRatioBased(ratio)

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                      trace_state=None):
        if kind == trace.SpanKind.CLIENT or any(noise in name for noise in _NOISE):
            return SamplingResult(Decision.DROP)
        return self._share.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"QuietRoots{{{self._share.get_description()}}}"


class JsonLinesSpanExporter(SpanExporter):
    """A test and debugging aid (SHOP_TRACE_FILE): appends one JSON object per finished
    span to a file that several processes may share (each span is one O_APPEND write)."""

    def __init__(self, path: str):
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans):
        lines = "".join(json.dumps(span_record(span), separators=(",", ":")) + "\n" for span in spans)
        with self._lock:
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, lines.encode())
            finally:
                os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def span_record(span) -> dict:
    """A finished span as plain JSON: ids in hex, the service it came from, its name,
    kind, parent and attributes."""
    parent = span.parent
    return {
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_span_id": format(parent.span_id, "016x") if parent else None,
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "kind": span.kind.name,
        "start": span.start_time,
        "end": span.end_time,
        "attributes": {key: value if isinstance(value, (str, int, float, bool)) else list(value)
                       for key, value in (span.attributes or {}).items()},
    }
