"""A private Redis: its own directory, loopback only, no persistence (carts are
ephemeral by design: they expire after three hours)."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from devstack import ports


def server_argv(directory: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    return [binary, "--port", str(port), "--bind", host, "--dir", str(directory),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]


def url(port: int, host: str = "127.0.0.1") -> str:
    return f"redis://{host}:{port}/0"


class Server:
    """A private Redis on a loopback port that stays the same across stop and start, so
    a test can take Redis away from a running service and bring it back."""

    def __init__(self, directory: Path, port: int):
        self.directory = Path(directory)
        self.port = port
        self.url = url(port)
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "Server":
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(server_argv(self.directory, self.port),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"redis did not listen on {self.port}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)


@contextlib.contextmanager
def temporary_server():
    """A running Redis on a free loopback port in a fresh directory, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="shop-redis-"))
    port = ports.free_port()
    server = Server(directory, port).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
