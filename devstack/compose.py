"""The shop under docker-compose: what differs from `make run` is written here once.

    python -m devstack.compose krakend   # rewrite deploy/compose/krakend.json
    python -m devstack.compose env       # make .env with fresh secrets; an existing one only
                                         # gains the variables it lacks, and keeps its values

deploy/compose/krakend.json is krakend/krakend.json rendered for the compose network: each
backend at http://<service>:<its HTTP port>, the gateway on every interface of its container
(the port is published by compose), the keys read from the volume the `keys` service fills.
A unit test keeps the committed file equal to `krakend_config()`."""
from __future__ import annotations

import json
import os
import re
import secrets
import sys
from pathlib import Path, PurePosixPath

from devstack import krakend
from devstack.stack import DEV_ADMIN_EMAIL

REPO = Path(__file__).resolve().parents[1]
COMPOSE_DIR = REPO / "deploy" / "compose"
KRAKEND_CONFIG = COMPOSE_DIR / "krakend.json"
ENV_FILE = REPO / ".env"

# Where the gateway's container reads its signing keys (the `krakend-keys` volume, read-only).
KRAKEND_KEYS_DIR = PurePosixPath(krakend.CONTAINER_KEYS_DIR)
GATEWAY_PORT = krakend.DEFAULT_PORT
http_urls = krakend.container_http_urls
krakend_text = krakend.container_text


def krakend_config() -> dict:
    return json.loads(krakend_text())


# Tracing stays off until this line is uncommented (docs/observability.md).
TRACING_HINT = ("# Uncomment to trace every request, with `docker compose --profile observability up`:\n"
                "# OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318\n")


def env_values() -> dict[str, str]:
    """What .env sets: the first admin, and fresh random secrets."""
    return {
        "ADMIN_EMAIL": DEV_ADMIN_EMAIL,
        "ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(18),
    }


def env_text() -> str:
    """A .env for docker-compose with fresh random secrets."""
    return (
        "# docker-compose's secrets for this checkout, made by `python -m devstack.compose env`.\n"
        "# Never commit this file. docs/containers.md and docs/observability.md explain each value.\n"
        + "".join(f"{name}={value}\n" for name, value in env_values().items())
        + TRACING_HINT
    )


def write_env(path: Path = ENV_FILE) -> list[str]:
    """Write path (mode 600) with fresh secrets; the names written. When it exists, only
    the variables it lacks are added (a .env made before they existed): none it sets is
    ever changed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _add_missing(path)
    with os.fdopen(fd, "w") as out:
        out.write(env_text())
    return list(env_values())


def _add_missing(path: Path) -> list[str]:
    text = path.read_text()
    present = set(re.findall(r"^\s*(?:export\s+)?(\w+)\s*=", text, re.M))
    missing = {name: value for name, value in env_values().items() if name not in present}
    if missing:
        with path.open("a") as out:
            out.write(("" if text.endswith("\n") or not text else "\n")
                      + "".join(f"{name}={value}\n" for name, value in missing.items()))
    return list(missing)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "krakend":
        KRAKEND_CONFIG.write_text(krakend_text())
        print(f"wrote {KRAKEND_CONFIG.relative_to(REPO)}")
        return 0
    if command == "env":
        existed = ENV_FILE.exists()
        written = write_env()
        where = ENV_FILE.relative_to(REPO)
        if not existed:
            print(f"wrote {where} (mode 600): {', '.join(written)}")
        elif written:
            print(f"{where} exists; added what it lacked: {', '.join(written)}")
        else:
            print(f"{where} exists and sets every variable; left as it is")
        return 0
    print("usage: python -m devstack.compose krakend|env", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
