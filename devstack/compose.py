"""The shop under docker-compose: what differs from `make run` is written here once.

    python -m devstack.compose krakend   # rewrite deploy/compose/krakend.json
    python -m devstack.compose env       # make .env with fresh secrets (once; never overwrites)

deploy/compose/krakend.json is krakend/krakend.json rendered for the compose network: each
backend at http://<service>:<its HTTP port>, the gateway on every interface of its container
(the port is published by compose), the keys read from the volume the `keys` service fills.
A unit test keeps the committed file equal to `krakend_config()`."""
from __future__ import annotations

import json
import os
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


def env_text() -> str:
    """A .env for docker-compose with fresh random secrets."""
    return (
        "# docker-compose's secrets for this checkout, made by `python -m devstack.compose env`.\n"
        "# Never commit this file. docs/containers.md explains each value.\n"
        f"ADMIN_EMAIL={DEV_ADMIN_EMAIL}\n"
        f"ADMIN_PASSWORD={secrets.token_urlsafe(18)}\n"
        f"SECRET_KEY={secrets.token_urlsafe(32)}\n"
    )


def write_env(path: Path = ENV_FILE) -> bool:
    """Write path (mode 600) unless it exists; True when written."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as out:
        out.write(env_text())
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "krakend":
        KRAKEND_CONFIG.write_text(krakend_text())
        print(f"wrote {KRAKEND_CONFIG.relative_to(REPO)}")
        return 0
    if command == "env":
        if write_env():
            print(f"wrote {ENV_FILE.relative_to(REPO)} (mode 600): the first admin's password and the "
                  "website's SECRET_KEY")
        else:
            print(f"{ENV_FILE.relative_to(REPO)} exists; left as it is")
        return 0
    print("usage: python -m devstack.compose krakend|env", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
