"""The observability profile's collector, running: `.tools/bin/otelcol` (the compose image's
release, built from deploy/observability/otelcol-builder.yaml) reads
deploy/observability/otel-collector.yaml itself, with `--set` moving only its listen
addresses to free loopback ports and its exporter's target from Jaeger to a stand-in. A
process traced the way every shop process is (service_runtime.tracing, OTLP/HTTP to
OTEL_EXPORTER_OTLP_ENDPOINT, as compose sets it) sends it three spans; they pass the
memory limiter and the batch processor, leave through the file's exporter and reach the
bench's OTLP sink under the process's service name.

Jaeger takes OTLP over gRPC, the file's exporter speaks it, and the sink (bench/otlp_sink.py)
takes OTLP over HTTP; so the stand-in for Jaeger is a second collector from the same binary
that takes OTLP/gRPC and passes it on over OTLP/HTTP, nothing else."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bench import otlp_sink
from devstack import processes
from service_runtime import tracing
from tests.support import metrics
from tests.support import observability as obs
from tests.support.net import free_port, listening_addresses, wait_for_port
from tests.support.services import REPO, wait_until
from tests.support.tools import tool

pytestmark = pytest.mark.timeout(30)

SERVICE = "collector-probe"
# A traced process in miniature, configured from its environment as every service is: an
# order with two steps, three spans, flushed as the process exits.
PROBE = f"""
from service_runtime import tracing
tracing.configure_tracing({SERVICE!r}, instrumentations=())
with tracing.tracer().start_as_current_span("place-order"):
    with tracing.tracer().start_as_current_span("charge-card"):
        pass
    with tracing.tracer().start_as_current_span("ship-order"):
        pass
"""


def committed_setting(config: dict, path: str) -> str:
    """path, once the committed file is known to set it: `--set` would quietly add a key
    the file lacks, and the test would then run something other than the file."""
    node = config
    for key in path.split("."):
        assert isinstance(node, dict) and key in node, f"{obs.COLLECTOR_CONFIG.name} has no {path}"
        node = node[key]
    return path


@contextlib.contextmanager
def collector(config: str, settings: dict[str, str], ready_port: int, log: Path) -> Iterator[None]:
    """otelcol --config=config --set=key=value..., stopped afterwards; ready once ready_port
    accepts connections."""
    command = [tool("otelcol"), f"--config={config}", *(f"--set={key}={value}" for key, value in settings.items())]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(ready_port, timeout=10)
        except TimeoutError:
            pytest.fail(f"otelcol did not start (exit code {process.poll()}):\n{log.read_text()[-4000:]}")
        yield
        assert process.poll() is None, f"otelcol exited:\n{log.read_text()[-4000:]}"
    finally:
        processes.stop(process, grace=5)


def jaeger_stand_in(directory: Path, port: int, sink: otlp_sink.Sink) -> Path:
    """OTLP/gRPC in on port, OTLP/HTTP out to the sink, and no processor in between."""
    path = directory / "jaeger-stand-in.yaml"
    path.write_text(yaml.safe_dump({
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}"}}}},
        "exporters": {"otlphttp": {"endpoint": sink.endpoint}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlphttp"]}},
                    "telemetry": {"metrics": {"level": "none"}}},
    }))
    return path


def probe_environment(endpoint: str) -> dict[str, str]:
    """This environment with every OpenTelemetry setting of its own taken out, and
    OTEL_EXPORTER_OTLP_ENDPOINT alone naming the collector, as in compose."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("OTEL_") and key != tracing.TRACE_FILE_ENV}
    return {**env, tracing.OTLP_ENDPOINT_ENV: endpoint}


def test_spans_a_shop_process_exports_pass_through_the_committed_collector_configuration(tmp_path):
    config = yaml.safe_load(obs.COLLECTOR_CONFIG.read_text())
    [exporter] = config["service"]["pipelines"]["traces"]["exporters"]
    assert exporter.split("/")[0] == "otlp", "the stand-in speaks OTLP over gRPC, as Jaeger does"
    grpc_port, http_port, metrics_port, jaeger_port = (free_port() for _ in range(4))
    settings = {
        committed_setting(config, "receivers.otlp.protocols.grpc.endpoint"): f"127.0.0.1:{grpc_port}",
        committed_setting(config, "receivers.otlp.protocols.http.endpoint"): f"127.0.0.1:{http_port}",
        committed_setting(config, f"exporters.{exporter}.endpoint"): f"127.0.0.1:{jaeger_port}",
        # The collector's own metrics, on localhost:8888 unless told otherwise: the test reads them.
        "service.telemetry.metrics.address": f"127.0.0.1:{metrics_port}",
    }
    with otlp_sink.running() as sink, \
            collector(str(jaeger_stand_in(tmp_path, jaeger_port, sink)), {}, jaeger_port, tmp_path / "jaeger.log"), \
            collector(str(obs.COLLECTOR_CONFIG), settings, http_port, tmp_path / "otelcol.log"):
        assert sorted(listening_addresses(http_port) + listening_addresses(grpc_port)) == \
            sorted([f"127.0.0.1:{http_port}", f"127.0.0.1:{grpc_port}"])
        subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=probe_environment(f"http://127.0.0.1:{http_port}"),
                       check=True, timeout=20)
        try:
            arrived = wait_until(lambda: (stats := sink.stats()).spans >= 3 and stats, 15, "the spans at the sink")
        except TimeoutError:
            pytest.fail(f"no spans at the sink; the collector said:\n{(tmp_path / 'otelcol.log').read_text()[-4000:]}")
        collector_metrics = f"http://127.0.0.1:{metrics_port}"
        accepted = metrics.value(collector_metrics, "otelcol_receiver_accepted_spans_total", receiver="otlp",
                                 transport="http")
        sent = metrics.value(collector_metrics, "otelcol_exporter_sent_spans_total", exporter=exporter)
    assert arrived.services == {SERVICE: 3}
    # Through this collector: its OTLP/HTTP receiver took them and the file's exporter sent them.
    assert (accepted, sent) == (3, 3)
