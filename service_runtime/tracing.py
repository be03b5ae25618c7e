"""OpenTelemetry tracing for every process: one trace per shopper's action, from the
browser request through the services, the outbox relay and every consumer.

`configure_tracing` installs an SDK tracer provider only when there is somewhere to send
spans: OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the standard
OTEL_EXPORTER_OTLP_* variables itself), or SHOP_TRACE_FILE (a test and debugging aid: one
JSON line per finished span, appended to that file), or an exporter a test passes in.
With none of them nothing is installed or instrumented: the API's no-op tracer, free.

Incoming context is read as W3C traceparent (and baggage) or as B3 headers, which is what
KrakenD 1.4's opencensus sends to its backends; outgoing context is always W3C.

Background noise is not traced: a client span with no parent (the outbox relay polling
its table, a health check's ping) and health and reflection calls are dropped at the
root, and so is everything beneath them."""
from __future__ import annotations

import json
import logging
import os
import threading
from typing import Iterable, Mapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.b3 import B3MultiFormat
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import default_getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from service_runtime.config import ConfigError

log = logging.getLogger("service_runtime.tracing")

TRACE_FILE_ENV = "SHOP_TRACE_FILE"
OTLP_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
# OpenTelemetry's standard sampler variables, of which the shop takes two samplers: every
# trace (the default), or a share of the traces that start here. Either way a call that
# arrives inside a trace follows its caller's decision, so a trace is kept whole or not at all.
SAMPLER_ENV, SAMPLER_ARG_ENV = "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"
SAMPLERS = ("parentbased_always_on", "parentbased_traceidratio")

# What an asyncio service uses, and what the frontend (Flask, synchronous gRPC) uses.
SERVICE_INSTRUMENTATIONS = ("grpc_aio", "psycopg", "redis", "aio_pika")
FRONTEND_INSTRUMENTATIONS = ("grpc_client",)

_W3C = TraceContextTextMapPropagator()
_enabled = False
_NOISE = ("grpc.health.v1.", "grpc.reflection.")


def enabled() -> bool:
    """Whether this process records spans (a provider is installed)."""
    return _enabled


def tracer(name: str = "shop") -> trace.Tracer:
    return trace.get_tracer(name)


def configure_tracing(service_name: str, exporter=None, *,
                      instrumentations: Sequence[str] = SERVICE_INSTRUMENTATIONS,
                      environ: Mapping[str, str] | None = None):
    """Install the tracer provider and the official instrumentations; returns the
    provider, or None when tracing is off (nothing is installed then)."""
    global _enabled
    env = os.environ if environ is None else environ
    if _enabled:  # once per process (the provider cannot be replaced)
        return trace.get_tracer_provider()
    ratio = root_ratio(env)  # checked even when off: a bad setting is refused, not ignored
    processors = _span_processors(exporter, env)
    if not processors:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}),
                              sampler=ParentBased(root=_QuietRoots(ratio)))
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(CompositePropagator([_B3Extraction(), _W3C, W3CBaggagePropagator()]))
    _enabled = True
    _instrument(instrumentations)
    log.info("tracing on", extra={"exporters": [type(p.span_exporter).__name__ for p in processors]})
    return provider


def root_ratio(env: Mapping[str, str]) -> float:
    """The share of new traces kept, from OTEL_TRACES_SAMPLER(_ARG); ConfigError for a
    sampler the shop does not offer or a ratio outside 0..1 (the process refuses to start)."""
    sampler = env.get(SAMPLER_ENV, "") or SAMPLERS[0]
    if sampler not in SAMPLERS:
        raise ConfigError(f"{SAMPLER_ENV}={sampler!r}: the shop offers {', '.join(SAMPLERS)}")
    if sampler == "parentbased_always_on":
        return 1.0
    try:
        ratio = float(env.get(SAMPLER_ARG_ENV, "") or 1.0)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(f"{SAMPLER_ARG_ENV} must be a ratio from 0 to 1, not {env.get(SAMPLER_ARG_ENV)!r}")
    return ratio


def _span_processors(exporter, env: Mapping[str, str]) -> list:
    processors = []
    if exporter is not None:
        processors.append(SimpleSpanProcessor(exporter))
    if env.get(TRACE_FILE_ENV):
        processors.append(SimpleSpanProcessor(JsonLinesSpanExporter(env[TRACE_FILE_ENV])))
    if env.get(OTLP_ENDPOINT_ENV):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter()))
    return processors


def _instrument(names: Iterable[str]) -> None:
    for name in names:
        if name == "grpc_aio":
            from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer

            GrpcAioInstrumentorServer().instrument()
            GrpcAioInstrumentorClient().instrument()
        elif name == "grpc_client":
            from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient

            GrpcInstrumentorClient().instrument()
        elif name == "psycopg":
            from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

            PsycopgInstrumentor().instrument(enable_commenter=False)
        elif name == "redis":
            from opentelemetry.instrumentation.redis import RedisInstrumentor

            RedisInstrumentor().instrument()
        elif name == "aio_pika":
            from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor

            AioPikaInstrumentor().instrument()
        else:
            raise ValueError(f"unknown instrumentation {name!r}")


def instrument_flask(app) -> None:
    """Trace every request of this Flask app (when tracing is on)."""
    if _enabled:
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor().instrument_app(app, excluded_urls="_healthz,static")


def current_traceparent() -> str | None:
    """The W3C traceparent of the span in context, or None (tracing off, no span)."""
    if not _enabled or not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def context_from(traceparent: str | None) -> otel_context.Context:
    """A context whose parent is the span the traceparent names (empty if malformed)."""
    return _W3C.extract({"traceparent": traceparent} if traceparent else {}, getter=default_getter)


def current_trace_id() -> str:
    """The 32-hex trace id of the span in context, or "" outside a span."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else ""


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
