"""Writes krakend.json beside this file: the gateway's one configuration
(krakend/krakend.json) moved into the cluster, with nothing else changed. The
kustomization turns it into the krakend-config ConfigMap; tests/unit/test_k8s_krakend.py
checks it is still what this renders.

    .venv/bin/python deploy/k8s/krakend/render.py
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from devstack import krakend  # noqa: E402

OUTPUT = Path(__file__).with_name("krakend.json")
PORT = krakend.DEFAULT_PORT
# Where the Deployment mounts the krakend-keys Secret.
KEYS_DIR = krakend.CONTAINER_KEYS_DIR
# Each service's HTTP facade behind its Service of the same name, in the gateway's namespace.
http_urls = krakend.container_http_urls
# The same configuration as docker-compose's: both are container networks.
rendered_text = krakend.container_text


if __name__ == "__main__":
    OUTPUT.write_text(rendered_text())
    print(f"wrote {OUTPUT.relative_to(REPO)}")
