"""Writes krakend.json beside this file: the gateway's one configuration
(krakend/krakend.json) moved into the cluster, with nothing else changed. The
kustomization turns it into the krakend-config ConfigMap; tests/unit/test_k8s_krakend.py
checks it is still what this renders.

    .venv/bin/python deploy/k8s/krakend/render.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from devstack import krakend  # noqa: E402
from service_runtime.config import DEFAULT_PORTS  # noqa: E402

OUTPUT = Path(__file__).with_name("krakend.json")
PORT = 8000
# Where the Deployment mounts the krakend-keys Secret.
KEYS_DIR = Path("/etc/krakend/keys")


def http_urls() -> dict[str, str]:
    """Each service's HTTP facade behind its Service of the same name, in the gateway's namespace."""
    return {service: f"http://{service}:{http_port}" for service, (_, http_port) in DEFAULT_PORTS.items()}


def rendered_text() -> str:
    config = krakend.render(krakend.load(), port=PORT, http_urls=http_urls(), keys_dir=KEYS_DIR,
                            listen_ip="0.0.0.0")
    return json.dumps(config, indent=2) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(rendered_text())
    print(f"wrote {OUTPUT.relative_to(REPO)}")
