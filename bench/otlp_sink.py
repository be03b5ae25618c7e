"""A no-op OTLP/HTTP trace endpoint for the tracing table of `make bench`: it answers every
POST /v1/traces with 200 and an empty ExportTraceServiceResponse, throws the spans away,
and counts what arrived (export requests, bytes, spans per service) so that a run shows its
processes really exported. GET /stats returns the counts as JSON.

It runs as a process of its own (`python -m bench.otlp_sink PORT`), as a collector would,
so decoding the exports never competes with the load generator; `running()` starts it on a
free loopback port and stops it afterwards."""
from __future__ import annotations

import contextlib
import gzip
import json
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from devstack import processes
from tests.support.net import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]
TRACES_PATH = "/v1/traces"


@dataclass(frozen=True)
class Stats:
    requests: int = 0
    bytes: int = 0
    spans: int = 0
    services: dict[str, int] = field(default_factory=dict)  # service.name -> spans


@dataclass(frozen=True)
class Sink:
    endpoint: str  # what OTEL_EXPORTER_OTLP_ENDPOINT names (the exporter adds /v1/traces)

    def stats(self) -> Stats:
        with urllib.request.urlopen(f"{self.endpoint}/stats", timeout=5) as reply:
            return Stats(**json.loads(reply.read()))


@contextlib.contextmanager
def running() -> Iterator[Sink]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.otlp_sink", str(port)], cwd=REPO)
    try:
        wait_for_port(port, timeout=30)
        yield Sink(f"http://127.0.0.1:{port}")
    finally:
        processes.stop(process, grace=5)


class _Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.bytes = self.spans = 0
        self.services: Counter = Counter()

    def add(self, size: int, export: ExportTraceServiceRequest) -> None:
        per_service = Counter()
        for resource_spans in export.resource_spans:
            name = next((a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"),
                        "?")
            per_service[name] += sum(len(scope.spans) for scope in resource_spans.scope_spans)
        with self.lock:
            self.requests += 1
            self.bytes += size
            self.spans += sum(per_service.values())
            self.services.update(per_service)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"requests": self.requests, "bytes": self.bytes, "spans": self.spans,
                               "services": dict(self.services)}).encode()


def handler(counts: _Counts) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: each exporter reuses its connection

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != TRACES_PATH:
                return self._answer(404, b"", "text/plain")
            try:
                raw = gzip.decompress(body) if self.headers.get("Content-Encoding") == "gzip" else body
                export = ExportTraceServiceRequest.FromString(raw)
            except (DecodeError, OSError, EOFError):  # not an export: the client's fault, as a collector says
                return self._answer(400, b"", "text/plain")
            counts.add(len(body), export)
            self._answer(200, b"", "application/x-protobuf")  # an empty ExportTraceServiceResponse

        def do_GET(self):
            if self.path == "/stats":
                return self._answer(200, counts.as_json(), "application/json")
            self._answer(404, b"", "text/plain")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # one line per export would only be noise
            pass

    return Handler


def main(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler(_Counts()))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
