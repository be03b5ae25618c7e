"""The KrakenD gateway for the local shop and the tests.

krakend/krakend.json is the one configuration. It is written for `make run`: backends on
127.0.0.1 at the services' default HTTP ports, keys in krakend/keys/. `render` moves it to
other addresses (the tests' free ports, a stack whose ports were moved) without changing
anything else in it, unless it is also told where to export traces and metrics (the
committed configuration traces every call and sends B3 trace context to every backend,
but exports nowhere: docs/decisions/0005-krakend-ce-1.4.md) or another per-client rate
limit (the load test's stack: devstack/limits.py)."""
from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import tempfile
import urllib.parse
from pathlib import Path
from typing import Iterator, Mapping

from service_runtime.config import DEFAULT_PORTS

from devstack import jwk, processes

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "krakend" / "krakend.json"
KEYS_DIR = REPO / "krakend" / "keys"
BINARY = REPO / ".tools" / "bin" / "krakend"
DEFAULT_PORT = 8000

# The service each committed backend address names: its default HTTP port.
SERVICE_BY_DEFAULT_HTTP_PORT = {http_port: service for service, (_, http_port) in DEFAULT_PORTS.items()}

SIGNER = "github.com/devopsfaith/krakend-jose/signer"
VALIDATOR = "github.com/devopsfaith/krakend-jose/validator"
OPENCENSUS = "github_com/devopsfaith/krakend-opencensus"
RATELIMIT = "github.com/devopsfaith/krakend-ratelimit/juju/router"


def load(path: Path = CONFIG) -> dict:
    return json.loads(path.read_text())


def backend_service(host: str) -> str:
    """The service a committed backend host ("http://127.0.0.1:8051") stands for."""
    port = urllib.parse.urlsplit(host).port
    if port not in SERVICE_BY_DEFAULT_HTTP_PORT:
        raise ValueError(f"backend host {host!r} is not a service's default HTTP address")
    return SERVICE_BY_DEFAULT_HTTP_PORT[port]


def render(config: Mapping, *, port: int, http_urls: Mapping[str, str], keys_dir: Path,
           listen_ip: str = "127.0.0.1", exporters: Mapping | None = None, client_rate: int | None = None) -> dict:
    """config with the gateway on listen_ip:port, each backend at http_urls[service] and the
    signing keys read from keys_dir; given exporters (krakend-opencensus's "exporters", e.g.
    {"zipkin": {"collector_url": ...}}), KrakenD's spans and metrics go there; given
    client_rate, every per-client-IP rate limit allows that many requests a second. Pure."""
    rendered = copy.deepcopy(dict(config))
    rendered["port"] = port
    rendered["listen_ip"] = listen_ip
    if exporters is not None:
        rendered["extra_config"][OPENCENSUS]["exporters"] = copy.deepcopy(dict(exporters))
    for endpoint in rendered["endpoints"]:
        limit = endpoint.get("extra_config", {}).get(RATELIMIT)
        if client_rate is not None and limit and limit.get("strategy") == "ip":
            limit["clientMaxRate"] = client_rate
        for backend in endpoint["backend"]:
            backend["host"] = [http_urls[backend_service(host)] for host in backend["host"]]
        for namespace in (SIGNER, VALIDATOR):
            settings = endpoint.get("extra_config", {}).get(namespace)
            if settings and "jwk_local_path" in settings:
                settings["jwk_local_path"] = str(keys_dir / Path(settings["jwk_local_path"]).name)
    return rendered


# In a container network (docker-compose, Kubernetes) each service is reached by its name,
# and the gateway reads its keys from a mounted volume.
CONTAINER_KEYS_DIR = Path("/etc/krakend/keys")


def container_http_urls() -> dict[str, str]:
    """Each service's HTTP facade as other containers reach it: by its service name."""
    return {service: f"http://{service}:{http_port}" for service, (_, http_port) in DEFAULT_PORTS.items()}


def container_text() -> str:
    """The configuration for a container network, as committed beside compose and the
    Kubernetes manifests: listening on every interface of its container, port 8000."""
    config = render(load(), port=DEFAULT_PORT, http_urls=container_http_urls(), keys_dir=CONTAINER_KEYS_DIR,
                    listen_ip="0.0.0.0")
    return json.dumps(config, indent=2) + "\n"


def argv(config_path: Path) -> list[str]:
    return [str(BINARY), "run", "-c", str(config_path)]


def environment() -> dict[str, str]:
    """KrakenD's environment: ours, with its usage report to usage.krakend.io switched off
    (nothing in the shop reaches the internet at run time)."""
    return {**os.environ, "USAGE_DISABLE": "1"}


def write_rendered(path: Path, *, port: int, http_urls: Mapping[str, str], keys_dir: Path,
                   exporters: Mapping | None = None, client_rate: int | None = None) -> Path:
    """Make the keys if missing and write the rendered configuration to path."""
    jwk.ensure_keys(keys_dir)
    config = render(load(), port=port, http_urls=http_urls, keys_dir=keys_dir, exporters=exporters,
                    client_rate=client_rate)
    path.write_text(json.dumps(config, indent=2))
    return path


def run_foreground(state: Path, port: int, http_ports: Mapping[str, int], keys_dir: Path = KEYS_DIR,
                   client_rate: int | None = None) -> None:
    """`make run`'s gateway: keys in keys_dir (made on first run), configuration rendered
    to the stack's ports (and its limits profile's client_rate) in the state directory;
    replaces this process with KrakenD."""
    urls = {service: f"http://127.0.0.1:{http_port}" for service, http_port in http_ports.items()}
    state.mkdir(parents=True, exist_ok=True)
    config_path = write_rendered(state / "krakend.json", port=port, http_urls=urls, keys_dir=keys_dir,
                                 client_rate=client_rate)
    command = argv(config_path)
    os.execve(command[0], command, environment())


@contextlib.contextmanager
def temporary_gateway(port: int, http_urls: Mapping[str, str], log_path: Path, *,
                      exporters: Mapping | None = None) -> Iterator[tuple[Path, subprocess.Popen]]:
    """KrakenD on 127.0.0.1:port in front of http_urls, with fresh keys in a temporary
    directory (yielded, so tests can sign tokens with them), exporting its spans and metrics
    only to the given exporters; stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="shop-krakend-") as scratch:
        keys_dir = Path(scratch) / "keys"
        config_path = write_rendered(Path(scratch) / "krakend.json", port=port, http_urls=http_urls,
                                     keys_dir=keys_dir, exporters=exporters)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(argv(config_path), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=environment())
        try:
            yield keys_dir, process
        finally:
            processes.stop(process, grace=10)
