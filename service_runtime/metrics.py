"""Prometheus metrics every service exports on its HTTP port's /metrics."""
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
    "HTTP requests answered by the JSON facade, by route and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "http_server_request_duration_seconds",
    "Time to answer an HTTP request on the JSON facade.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
