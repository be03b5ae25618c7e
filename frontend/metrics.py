"""The website's Prometheus metrics: each route's requests, errors and latency, under the
names the services' HTTP faces use (service_runtime.metrics), served on a port of their
own (METRICS_PORT), never on the public one. Each request also gets one JSON log line,
as each call to a service does (inside the request's span: it carries the trace id), or
only the slow or failed ones (CALL_LOG, service_runtime/call_log.py).

gunicorn runs several worker processes, and each counts its own requests. They count in
prometheus_client's multiprocess mode: every worker writes its values to files in one
directory, and the master process serves their sum. prometheus_client picks that mode
when it is first imported, so this module is imported only once `__main__` has set
PROMETHEUS_MULTIPROC_DIR (in the master) or after the fork (in a worker); nothing the
master imports earlier imports prometheus_client (a unit test keeps it so)."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, multiprocess, start_http_server

from service_runtime.call_log import CallLog
from service_runtime.metrics import HTTP_HANDLED, HTTP_SECONDS

# Methods a route may be asked with; any other is counted as "other", so a client cannot
# make new series by inventing methods.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

log = logging.getLogger("frontend.requests")


def init_app(app: Flask, call_log: CallLog = CallLog()) -> None:
    """Count every request by route template ("unmatched" when no route matched), method
    and status, time it, and log it as `call_log` says (an answer of 400 or above always)."""

    @app.before_request
    def start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response):
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        HTTP_HANDLED.labels(method, route, str(response.status_code)).inc()
        now = time.perf_counter()
        elapsed = now - g.get("metrics_started", now)  # no start: a hook before ours failed
        HTTP_SECONDS.labels(method, route).observe(elapsed)
        if call_log.wants(response.status_code >= 400, elapsed * 1000):
            log.info("request", extra={"method": method, "route": route, "status": response.status_code,
                                       "duration_ms": round(elapsed * 1000, 3), "request_id": g.get("request_id", "")})
        return response


def serve_workers_sum(host: str, port: int) -> None:
    """In gunicorn's master: serve /metrics, the sum of every worker's values."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)


def worker_exited(pid: int) -> None:
    """In gunicorn's master: a worker is gone; its gauges go with it (its counts stay)."""
    multiprocess.mark_process_dead(pid)
