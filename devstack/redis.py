"""A private Redis: its own directory, loopback only, no persistence (carts are
ephemeral by design: they expire after three hours)."""
from __future__ import annotations

import shutil
from pathlib import Path


def server_argv(directory: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    return [binary, "--port", str(port), "--bind", host, "--dir", str(directory),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]


def url(port: int, host: str = "127.0.0.1") -> str:
    return f"redis://{host}:{port}/0"
