"""Serve the website with gunicorn, the way it runs in production: `python -m frontend`.
Each worker process builds its own app, so its gRPC channels are its own (made after the
fork, never shared across processes). The master serves the workers' summed Prometheus
metrics on METRICS_PORT (frontend/metrics.py says why the import order matters)."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from service_runtime.config import ConfigError
from service_runtime import tracing
from service_runtime.jsonlog import configure_logging

from frontend import config as frontend_config
from frontend import create_app


class JsonLogger(Logger):
    """gunicorn's own lines (workers booting, signals, errors) go through the root
    logger's JSON handler like every other line, not gunicorn's plain-text one."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True


class Server(BaseApplication):
    def __init__(self, config: frontend_config.Config):
        self._config = config
        super().__init__()

    def load_config(self):
        c = self._config
        self.cfg.set("bind", f"{c.bind_host}:{c.http_port}")
        self.cfg.set("workers", c.workers)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", 8)
        self.cfg.set("graceful_timeout", 10)
        # An idle keep-alive connection is kept 75 s (nginx's default; gunicorn's is 2). A
        # client whose next request leaves just as the server closes its idle connection
        # gets "connection closed without response": browsers send it again, a script may
        # not. At 2 s and then 5 s the load test's shoppers met that race a few times in
        # 40,000 requests (after their think time or a paced sign-in); 75 s is longer than
        # any pause of theirs. Idle connections cost a gthread worker no thread.
        self.cfg.set("keepalive", 75)
        self.cfg.set("accesslog", None)                # frontend/metrics.py logs each request
        self.cfg.set("logger_class", JsonLogger)
        self.cfg.set("control_socket_disable", True)   # unused, and it would write to $HOME
        self.cfg.set("preload_app", False)
        self.cfg.set("when_ready", lambda _arbiter: _metrics().serve_workers_sum(c.bind_host, c.metrics_port))
        self.cfg.set("child_exit", lambda _arbiter, worker: _metrics().worker_exited(worker.pid))

    def load(self):
        # In the worker, after the fork: its tracer provider and exporter threads are its own.
        configure_logging(frontend_config.SERVICE_NAME, self._config.log_level)
        tracing.configure_tracing(frontend_config.SERVICE_NAME, instrumentations=())  # its spans are its own
        return create_app(self._config)


def _metrics():
    from frontend import metrics  # only once PROMETHEUS_MULTIPROC_DIR is set
    return metrics


@contextmanager
def _multiprocess_metrics_dir():
    """A fresh, private directory for the workers' metric files, for this run only: files
    left by an earlier run would be summed in."""
    directory = tempfile.mkdtemp(prefix="frontend-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    try:
        config = frontend_config.load()
        tracing.root_ratio(os.environ)  # checked before the workers, which would fail to boot
    except ConfigError as exc:
        print(f"frontend: {exc}", file=sys.stderr)
        return 2
    configure_logging(frontend_config.SERVICE_NAME, config.log_level)  # the master's lines
    with _multiprocess_metrics_dir():
        Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
