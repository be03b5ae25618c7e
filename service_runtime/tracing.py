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
root, and so is everything beneath them.

The SDK's side (provider, sampler, exporters, the instrumentations) is in
service_runtime/tracing_sdk.py and imported only when tracing is on: a process that sends
spans nowhere does not load it (about 3 MB of memory per process)."""
from __future__ import annotations

import logging
import os
from typing import Mapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import default_getter
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

# The official instrumentations an asyncio service turns on (the website turns on none).
# gRPC calls' spans, in and out, are the shop's own (service_runtime/rpc_spans.py), and so are the
# pools' queries' (service_runtime/query_spans.py), the website's requests'
# (frontend/request_spans.py), and the outbox relay's publishing and the consumers'
# handling (outbox.py, messaging.py: the message's traceparent header carries the trace).
SERVICE_INSTRUMENTATIONS = ("redis",)

_W3C = TraceContextTextMapPropagator()
_enabled = False


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
    if exporter is None and not env.get(TRACE_FILE_ENV) and not env.get(OTLP_ENDPOINT_ENV):
        return None
    from service_runtime import tracing_sdk

    provider = tracing_sdk.install(service_name, ratio, exporter, env.get(TRACE_FILE_ENV, ""),
                                   bool(env.get(OTLP_ENDPOINT_ENV)))
    _enabled = True
    tracing_sdk.instrument(instrumentations)
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
