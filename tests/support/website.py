"""The website as a real process, served the way production serves it (gunicorn via
`python -m frontend`), on a free loopback port."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from devstack import processes
from tests.support.http import request
from tests.support.net import free_port
from tests.support.services import REPO, wait_until


class Website:
    def __init__(self, addresses: dict[str, str], log_path: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{free_port()}"  # its /metrics, all workers summed
        self.log_path = log_path
        self.env = {**os.environ, "BIND_HOST": "127.0.0.1", "HTTP_PORT": str(self.port),
                    "METRICS_PORT": self.metrics_url.rsplit(":", 1)[1],
                    "SECRET_KEY": secrets.token_urlsafe(32), "WEB_WORKERS": "2", "PYTHONUNBUFFERED": "1",
                    **addresses, **env}
        self.process: subprocess.Popen | None = None

    def _healthy(self) -> bool:
        try:
            return request("GET", f"{self.url}/_healthz", timeout=2).status == 200
        except OSError:
            return False

    def start(self, timeout: float = 60) -> "Website":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "frontend"], cwd=REPO, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: self.process.poll() is not None or self._healthy(), timeout, "the website answering")
        except BaseException:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise RuntimeError(f"the website exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        processes.stop(self.process)

    def __enter__(self) -> "Website":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
