"""The Prometheus metrics of calls and messages, which every service exports on its HTTP
port's /metrics (the website those of its routes, on its metrics port). The outbox's
gauges live in outbox.py, a service's business counters in its own metrics module;
docs/observability.md lists them all."""
from prometheus_client import Counter, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

GRPC_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time to handle an RPC on the server.",
    ["grpc_service", "grpc_method"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_HANDLED = Counter(
    "http_server_requests_total",
    "HTTP requests answered (a service's JSON facade, the website), by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "http_server_request_duration_seconds",
    "Time to answer an HTTP request (a service's JSON facade, the website).",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
MESSAGES = Counter(
    "messaging_messages_total",
    "Messages a consumer finished with, by queue, type and outcome (handled, ignored, failed, dead_lettered).",
    ["queue", "type", "outcome"],
)
MESSAGE_SECONDS = Histogram(
    "messaging_handling_seconds",
    "Time a consumer spent on a message, from decoding to its outcome (in-place retries included).",
    ["queue", "type"],
    buckets=_LATENCY_BUCKETS,
)
