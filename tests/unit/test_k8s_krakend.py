"""deploy/k8s's gateway configuration is krakend/krakend.json moved into the cluster, and
the Deployment mounts what it names where it names it."""
from __future__ import annotations

import importlib.util
import json
import urllib.parse
from pathlib import Path

import yaml

from devstack import krakend
from service_runtime.config import DEFAULT_PORTS

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"


def _render_module():
    spec = importlib.util.spec_from_file_location("k8s_krakend_render", K8S / "krakend" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _render_module()


def _committed() -> dict:
    return json.loads((K8S / "krakend" / "krakend.json").read_text())


def _krakend_container() -> dict:
    deployment = next(yaml.safe_load_all((K8S / "apps" / "krakend.yaml").read_text()))
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_the_committed_configuration_is_what_render_makes_of_krakend_json():
    assert (K8S / "krakend" / "krakend.json").read_text() == render.rendered_text(), (
        "deploy/k8s/krakend/krakend.json is stale: run .venv/bin/python deploy/k8s/krakend/render.py")


def test_it_differs_from_the_local_configuration_only_in_addresses_and_key_paths():
    local, cluster = krakend.load(), _committed()
    assert cluster == krakend.render(local, port=8000, http_urls=render.http_urls(),
                                     keys_dir=Path("/etc/krakend/keys"), listen_ip="0.0.0.0")
    assert len(cluster["endpoints"]) == len(local["endpoints"])


def test_every_backend_is_a_service_name_at_its_http_port():
    http_ports = {service: http for service, (_, http) in DEFAULT_PORTS.items()}
    hosts = {host for endpoint in _committed()["endpoints"] for backend in endpoint["backend"]
             for host in backend["host"]}
    assert hosts
    for host in hosts:
        parts = urllib.parse.urlsplit(host)
        assert parts.scheme == "http" and parts.hostname in http_ports, host
        assert parts.port == http_ports[parts.hostname], host


def test_the_gateway_listens_on_every_interface_at_8000():
    config = _committed()
    assert (config["port"], config["listen_ip"]) == (8000, "0.0.0.0")


def test_the_deployment_mounts_the_keys_and_the_configuration_where_it_reads_them():
    container = _krakend_container()
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    config_path = Path(container["args"][container["args"].index("-c") + 1])
    assert config_path == Path(mounts["config"]) / "krakend.json"
    key_paths = {Path(settings["jwk_local_path"])
                 for endpoint in _committed()["endpoints"]
                 for namespace in (krakend.SIGNER, krakend.VALIDATOR)
                 if (settings := endpoint.get("extra_config", {}).get(namespace))}
    assert key_paths == {Path(mounts["keys"]) / "private.jwks.json", Path(mounts["keys"]) / "public.jwks.json"}


def test_the_gateway_sends_no_usage_report_to_the_internet():
    assert {"name": "USAGE_DISABLE", "value": "1"} in _krakend_container()["env"]
