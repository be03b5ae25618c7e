"""deploy/compose/krakend.json is krakend/krakend.json moved onto the compose network and
nothing else, and `python -m devstack.compose env` makes secrets without ever committing or
overwriting one."""
from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from devstack import compose, krakend
from service_runtime.config import DEFAULT_PORTS


def test_the_committed_compose_gateway_config_is_the_rendered_one():
    committed = json.loads(compose.KRAKEND_CONFIG.read_text())
    expected = krakend.render(
        krakend.load(), port=8000, listen_ip="0.0.0.0", keys_dir=Path("/etc/krakend/keys"),
        http_urls={service: f"http://{service}:{http_port}" for service, (_, http_port) in DEFAULT_PORTS.items()})
    assert committed == expected, "deploy/compose/krakend.json is stale: run `python -m devstack.compose krakend`"
    assert compose.KRAKEND_CONFIG.read_text() == compose.krakend_text()


def test_only_addresses_listen_ip_and_key_paths_differ_from_the_local_config():
    local, rendered = krakend.load(), compose.krakend_config()
    assert {k: v for k, v in rendered.items() if k not in ("endpoints", "listen_ip")} == \
        {k: v for k, v in local.items() if k not in ("endpoints", "listen_ip")}
    assert len(rendered["endpoints"]) == len(local["endpoints"])
    for ours, theirs in zip(rendered["endpoints"], local["endpoints"]):
        assert ours["endpoint"] == theirs["endpoint"] and ours["method"] == theirs["method"]
        for backend in ours["backend"]:
            assert all(host.startswith("http://") and "127.0.0.1" not in host for host in backend["host"])


def test_env_gets_fresh_secrets_mode_600_and_is_never_overwritten(tmp_path):
    path = tmp_path / ".env"
    assert compose.write_env(path) == ["ADMIN_EMAIL", "ADMIN_PASSWORD", "SECRET_KEY", "GRAFANA_ADMIN_PASSWORD"]
    first = path.read_text()
    values = dict(line.split("=", 1) for line in first.splitlines() if line and not line.startswith("#"))
    assert set(values) == {"ADMIN_EMAIL", "ADMIN_PASSWORD", "SECRET_KEY", "GRAFANA_ADMIN_PASSWORD"}
    assert len(values["ADMIN_PASSWORD"]) >= 20 and len(values["SECRET_KEY"]) >= 40
    assert len(values["GRAFANA_ADMIN_PASSWORD"]) >= 20
    assert "# OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318" in first.splitlines(), "tracing: off, one step away"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert compose.write_env(path) == [] and path.read_text() == first
    other = tmp_path / "other.env"
    compose.write_env(other)
    assert other.read_text() != first


def test_env_adds_only_what_an_older_env_lacks_and_changes_nothing_it_has(tmp_path):
    """A .env made before Grafana's password existed gains that, and keeps its own secrets."""
    path = tmp_path / ".env"
    older = "# mine\nADMIN_EMAIL=me@example.com\nADMIN_PASSWORD=kept-admin\nSECRET_KEY=kept-key"  # no final newline
    path.write_text(older)
    assert compose.write_env(path) == ["GRAFANA_ADMIN_PASSWORD"]
    text = path.read_text()
    assert text.startswith(older + "\n")
    added = text[len(older) + 1:]
    assert re.fullmatch(r"GRAFANA_ADMIN_PASSWORD=[\w-]{20,}\n", added), added
    assert compose.write_env(path) == [] and path.read_text() == text
