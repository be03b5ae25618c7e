"""The observability profile's files, offline: Prometheus's configuration passes the real
promtool and scrapes every process where compose runs it; the Grafana dashboard is well
formed, every query is PromQL that promtool accepts and names only metrics the code (or
RabbitMQ's plugin) exports; the collector's configuration passes `otelcol validate` of a
collector of the compose image's release (.tools/bin/otelcol), defines nothing its pipeline
does not use and sends to Jaeger; Grafana's provisioning finds the data source and the
dashboard where compose mounts them. tests/integration/test_prometheus_dashboard.py runs the
queries against a real Prometheus scraping the real shop, and
tests/integration/test_otel_collector.py passes spans through the real collector."""
from __future__ import annotations

import re
import subprocess
import urllib.parse
from pathlib import Path, PurePosixPath

import pytest
import yaml

from devstack import rabbitmq
from frontend import config as frontend_config
from service_runtime import tracing
from service_runtime.config import DEFAULT_PORTS
from tests.support import observability as obs
from tests.support.tools import tool

REPO = obs.REPO
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
COLLECTOR_BUILD = obs.OBSERVABILITY / "otelcol-builder.yaml"
# Where the code defines its metrics: the shared runtime, every service and the website.
SOURCE_DIRS = ["service_runtime", "frontend", *DEFAULT_PORTS]
# What RabbitMQ's rabbitmq_prometheus plugin exports per queue on /metrics/per-object; the
# integration test finds each of them in a real node's metrics.
RABBITMQ_METRICS = {"rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked", "rabbitmq_queue_messages",
                    "rabbitmq_queue_consumers"}
# Series Prometheus makes itself for every target.
PROMETHEUS_METRICS = {"up"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def promtool(*args: str) -> subprocess.CompletedProcess:
    if not obs.PROMTOOL.exists():
        pytest.fail(f"{obs.PROMTOOL} is missing: run scripts/install-system-packages.sh (Debian's prometheus)")
    return subprocess.run([str(obs.PROMTOOL), *args], capture_output=True, text=True, timeout=60)


def mounts(service: str) -> dict[str, str]:
    """Container path -> the repository path compose mounts there."""
    found = {}
    for mount in COMPOSE[service].get("volumes", []):
        source, target, *_ = mount.split(":")
        if source.startswith("./"):
            found[target] = source[2:]
    return found


# --- Prometheus ----------------------------------------------------------------------------

def test_promtool_accepts_the_prometheus_configuration():
    result = promtool("check", "config", str(obs.PROMETHEUS_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


@pytest.mark.parametrize("breakage", [
    ("scrape_interval: 15s", "scrape_interval: fifteen"),            # not a duration
    ("metrics_path: /metrics/per-object", "metric_path: /metrics/per-object"),  # misspelt field
])
def test_promtool_refuses_a_broken_copy(tmp_path, breakage):
    """So the pass above means something."""
    text = obs.PROMETHEUS_CONFIG.read_text()
    assert breakage[0] in text
    broken = tmp_path / "prometheus.yml"
    broken.write_text(text.replace(breakage[0], breakage[1], 1))
    result = promtool("check", "config", str(broken))
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


def test_prometheus_scrapes_every_process_at_its_port_one_job_each():
    jobs = obs.scrape_jobs()
    expected = {service: f"{service}:{http_port}" for service, (_, http_port) in DEFAULT_PORTS.items()}
    expected["frontend"] = f"frontend:{frontend_config.DEFAULT_METRICS_PORT}"
    expected["rabbitmq"] = "rabbitmq:15692"
    assert set(jobs) == set(expected)
    for name, job in jobs.items():
        [static] = job["static_configs"]
        assert static["targets"] == [expected[name]], name
        assert name in COMPOSE, f"{name} is not a compose service"
        path = job.get("metrics_path", "/metrics")
        assert path == (rabbitmq.PER_OBJECT_METRICS_PATH if name == "rabbitmq" else "/metrics"), name
    # The website's metrics port is open on the compose network (never published).
    assert str(frontend_config.DEFAULT_METRICS_PORT) in COMPOSE["frontend"]["expose"]
    assert all(not port.endswith(f":{frontend_config.DEFAULT_METRICS_PORT}") for port in COMPOSE["frontend"]["ports"])


def test_compose_runs_prometheus_on_this_configuration():
    command = COMPOSE["prometheus"]["command"]
    [config_path] = [arg.split("=", 1)[1] for arg in command if arg.startswith("--config.file=")]
    assert mounts("prometheus")[config_path] == str(obs.PROMETHEUS_CONFIG.relative_to(REPO))


# --- the dashboard -------------------------------------------------------------------------

def test_the_dashboard_is_well_formed_and_every_panel_has_a_query_and_the_data_source():
    board = obs.dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    datasource = provisioned_datasource()
    for panel in obs.panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource["uid"]}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        assert panel.get("description"), f"{panel['title']} says nothing about what it shows"
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"] and target["expr"].strip(), panel["title"]
    titles = [panel["title"] for panel in obs.panels(board)]
    assert len(titles) == len(set(titles)), "titles are unique (the tests name panels by them)"


def test_panels_fit_the_grid_and_do_not_overlap():
    taken: dict[tuple[int, int], str] = {}
    for panel in obs.dashboard()["panels"]:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]


def rules_file(path: Path, expressions: list[str]) -> Path:
    """The expressions as recording rules: `promtool check rules` parses each with
    Prometheus's own PromQL parser, no server needed."""
    rules = [{"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(expressions)]
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    return path


def test_every_query_is_promql_that_prometheus_parses(tmp_path):
    queries = obs.queries()
    assert all("$" not in q.expr for q in queries), "a Grafana variable the tests do not replace"
    result = promtool("check", "rules", str(rules_file(tmp_path / "rules.yml", [q.expr for q in queries])))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def test_the_parse_check_refuses_broken_promql(tmp_path):
    broken = ["sum by (job) (rate(grpc_server_handled_total[1m])", "rate(up)", 'up{job="frontend"']
    for expr in broken:
        result = promtool("check", "rules", str(rules_file(tmp_path / "broken.yml", [expr])))
        assert result.returncode != 0, expr


def defined_in_code(name: str) -> bool:
    base = name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
    pattern = re.compile(rf"""["']{re.escape(base)}["']""")
    return any(pattern.search(path.read_text()) for directory in SOURCE_DIRS for path in (REPO / directory).rglob("*.py"))


def test_every_metric_a_query_uses_is_one_the_shop_or_rabbitmq_exports():
    names = {name for q in obs.queries() for name in obs.metric_names(q.expr)}
    assert len(names) >= 15, sorted(names)
    unknown = {name for name in names - RABBITMQ_METRICS - PROMETHEUS_METRICS if not defined_in_code(name)}
    assert not unknown, f"the dashboard uses metrics nothing defines: {sorted(unknown)}"
    assert RABBITMQ_METRICS <= names, "the queue panels use each RabbitMQ metric listed here"


def test_the_name_check_would_catch_a_misspelt_metric():
    assert obs.metric_names('sum by (job) (rate(grpc_server_handeld_total{grpc_code="OK"}[1m]))') == \
        {"grpc_server_handeld_total"}
    assert not defined_in_code("grpc_server_handeld_total")
    assert defined_in_code("grpc_server_handling_seconds_bucket")


def test_the_funnel_runs_from_product_views_to_shipped_orders():
    [funnel] = [p for p in obs.panels() if p["title"].startswith("Funnel")]
    legends = [target["legendFormat"] for target in funnel["targets"]]
    assert legends == ["product views", "cart adds", "checkout attempts", "orders placed", "orders paid",
                       "orders shipped"]
    assert all("$__range" in target["expr"] for target in funnel["targets"])


# --- the collector -------------------------------------------------------------------------

def collector() -> dict:
    return yaml.safe_load(obs.COLLECTOR_CONFIG.read_text())


def otelcol(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("otelcol"), *args], capture_output=True, text=True, timeout=60)


def image_release() -> str:
    image, tag = COMPOSE["otel-collector"]["image"].split(":")
    assert image == "otel/opentelemetry-collector", "the core distribution, whose components the build lists"
    return tag


def test_the_collector_built_here_is_the_compose_images_release():
    release = image_release()
    pinned = re.search(r"^OTELCOL_VERSION=(\S+)\s*$", (REPO / "scripts" / "install-tools.sh").read_text(), re.M)
    assert pinned and pinned[1] == release
    manifest = yaml.safe_load(COLLECTOR_BUILD.read_text())
    assert manifest["dist"]["version"] == manifest["dist"]["otelcol_version"] == release
    for kind in ("receivers", "processors", "exporters", "extensions", "connectors", "providers"):
        for component in manifest.get(kind, []):
            module, version = component["gomod"].split()
            # The stable confmap modules are numbered 1.x (1.17.0 went with 0.111.0). The
            # builder would take a component of an older release: Go resolves it as named.
            stable = module.startswith("go.opentelemetry.io/collector/confmap/") and version.startswith("v1.")
            assert stable or version == f"v{release}", component["gomod"]
    assert otelcol("--version").stdout.strip() == f"otelcol version {release}"


def test_otelcol_validate_accepts_the_collector_configuration():
    result = otelcol("validate", f"--config={obs.COLLECTOR_CONFIG}")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("breakage, complaint", [
    # A pipeline naming an exporter the file does not define.
    (("exporters: [otlp/jaeger]", "exporters: [otlp/zipkin]"), 'references exporter "otlp/zipkin"'),
    # A misspelt key.
    (("check_interval: 1s", "check_intervall: 1s"), "has invalid keys: check_intervall"),
    # A processor of the contrib distribution, which the core image does not have.
    (("  batch: {}", "  tail_sampling: {}"), 'unknown type: "tail_sampling"'),
])
def test_otelcol_validate_refuses_a_broken_copy(tmp_path, breakage, complaint):
    """So the pass above means something."""
    text = obs.COLLECTOR_CONFIG.read_text()
    assert breakage[0] in text
    broken = tmp_path / "otel-collector.yaml"
    broken.write_text(text.replace(breakage[0], breakage[1], 1))
    result = otelcol("validate", f"--config={broken}")
    assert result.returncode != 0 and complaint in result.stderr, result.stdout + result.stderr


def test_the_collector_defines_nothing_its_pipeline_does_not_use():
    """otelcol validate refuses a pipeline naming what the file does not define, but takes
    definitions nothing uses: those are checked here."""
    config = collector()
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"traces"}
    for kind in ("receivers", "processors", "exporters"):
        used = {name for pipeline in pipelines.values() for name in pipeline.get(kind, [])}
        assert used == set(config[kind]), f"{kind}: defined {sorted(config[kind])}, used {sorted(used)}"
    assert set(config["service"].get("extensions", [])) == set(config.get("extensions") or {})
    assert pipelines["traces"]["processors"][0] == "memory_limiter", "the memory limiter goes first"


def test_the_collector_takes_otlp_http_from_the_shop_and_hands_it_to_jaeger():
    config = collector()
    http = urllib.parse.urlsplit("//" + config["receivers"]["otlp"]["protocols"]["http"]["endpoint"])
    grpc = urllib.parse.urlsplit("//" + config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"])
    # Every interface of its container, or the other containers could not reach it.
    assert (http.hostname, grpc.hostname) == ("0.0.0.0", "0.0.0.0")
    assert {str(http.port), str(grpc.port)} == set(COMPOSE["otel-collector"]["expose"])
    # The shop exports over OTLP/HTTP, so the documented endpoint is the HTTP port.
    assert "opentelemetry.exporter.otlp.proto.http" in (REPO / "service_runtime" / "tracing_sdk.py").read_text()
    documented = f"http://otel-collector:{http.port}"
    assert documented in (REPO / "deploy" / "compose" / "env.example").read_text()
    assert f"{tracing.OTLP_ENDPOINT_ENV}={documented}" in (REPO / "docs" / "observability.md").read_text()
    [exporter] = config["exporters"].values()
    host, port = exporter["endpoint"].rsplit(":", 1)
    assert host == "jaeger" and port in COMPOSE["jaeger"]["expose"]
    assert COMPOSE["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    assert mounts("otel-collector") == {"/etc/otelcol/config.yaml": str(obs.COLLECTOR_CONFIG.relative_to(REPO))}
    assert COMPOSE["otel-collector"]["command"] == ["--config=/etc/otelcol/config.yaml"]


# --- Grafana -------------------------------------------------------------------------------

PROVISIONING = PurePosixPath("/etc/grafana/provisioning")  # Grafana's default (GF_PATHS_PROVISIONING)


def provisioning_files(kind: str) -> list[dict]:
    source = REPO / mounts("grafana")[str(PROVISIONING)] / kind
    return [yaml.safe_load(path.read_text()) for path in sorted(source.glob("*.yaml"))]


def provisioned_datasource() -> dict:
    [file] = provisioning_files("datasources")
    [datasource] = file["datasources"]
    return datasource


def test_grafanas_data_source_is_the_profiles_prometheus():
    datasource = provisioned_datasource()
    assert datasource["type"] == "prometheus" and datasource["isDefault"] is True
    url = urllib.parse.urlsplit(datasource["url"])
    assert url.hostname == "prometheus" and COMPOSE["prometheus"]["ports"][0].endswith(f":{url.port}")
    scrape = obs.prometheus_config()["global"]["scrape_interval"]
    assert datasource["jsonData"]["timeInterval"] == scrape, "$__rate_interval follows the scrape interval"
    assert "GF_PATHS_PROVISIONING" not in COMPOSE["grafana"]["environment"]


def test_grafana_loads_the_dashboard_from_where_compose_mounts_it():
    [file] = provisioning_files("dashboards")
    [provider] = file["providers"]
    container_dir = provider["options"]["path"]
    mounted = mounts("grafana")[container_dir]
    assert REPO / mounted / obs.DASHBOARD.name == obs.DASHBOARD
    home = COMPOSE["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{container_dir}/{obs.DASHBOARD.name}"
    assert all(mount.endswith(":ro") for mount in COMPOSE["grafana"]["volumes"])
