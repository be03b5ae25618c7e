"""The observability profile's files as the tests read them: Prometheus's scrape
configuration, the Grafana dashboard's queries (with Grafana's variables given concrete
values, so Prometheus can run them), and the metric names those queries use."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
PROMETHEUS_CONFIG = OBSERVABILITY / "prometheus.yml"
COLLECTOR_CONFIG = OBSERVABILITY / "otel-collector.yaml"
GRAFANA = OBSERVABILITY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "shop.json"
PROMTOOL = Path("/usr/bin/promtool")
PROMETHEUS = Path("/usr/bin/prometheus")

# What Grafana puts in place of its variables; durations Prometheus accepts, long enough
# for a test's few seconds of samples scraped every second.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "5m", "$__interval": "15s"}

_PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                 "offset", "inf", "nan"}


@dataclass(frozen=True)
class Query:
    panel: str
    ref_id: str
    expr: str  # Grafana's variables replaced

    @property
    def name(self) -> str:
        return f"{self.panel} [{self.ref_id}]"


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(board: dict | None = None) -> list[dict]:
    """The panels that show data (rows only group them)."""
    return [p for p in (board or dashboard())["panels"] if p["type"] != "row"]


def concrete(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def queries(board: dict | None = None) -> list[Query]:
    return [Query(panel["title"], target["refId"], concrete(target["expr"]))
            for panel in panels(board) for target in panel["targets"]]


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: what is left once strings, label matchers,
    groupings, ranges, function calls and PromQL's keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    words = re.findall(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", text)
    return {word for word in words if word.lower() not in _PROMQL_WORDS}


def prometheus_config() -> dict:
    return yaml.safe_load(PROMETHEUS_CONFIG.read_text())


def scrape_jobs(config: dict | None = None) -> dict[str, dict]:
    """job name -> its scrape configuration."""
    return {job["job_name"]: job for job in (config or prometheus_config())["scrape_configs"]}
