"""Running a shop service as a real process for tests: free ports, environment, wait
until its health is SERVING, stop with SIGTERM like a container would."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack import processes
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]


def health_status(address: str, service: str = "", timeout: float = 1.0) -> int | None:
    """The gRPC health status of the service at address, or None if it does not answer."""
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return None
        return reply.status


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} did not happen within {timeout}s")


class ServiceProcess:
    """python -m <module> with its own ports; logs go to log_path."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path):
        self.module = module
        self.grpc_port = free_port()
        self.http_port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "GRPC_PORT": str(self.grpc_port),
            "HTTP_PORT": str(self.http_port),
            "BIND_HOST": "127.0.0.1",
            "HEALTH_INTERVAL_SECONDS": "0.5",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout: float = 60.0) -> "ServiceProcess":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module], cwd=REPO, env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: self.process.poll() is None and health_status(self.address) == health_pb2.HealthCheckResponse.SERVING
                or self._exited(),
                timeout, f"{self.module} serving",
            )
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"{self.module} did not become healthy; log:\n{self.log_text()[-4000:]}") from None
        except BaseException:  # whatever stops the wait, the process must not outlive it
            self.stop()
            raise
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.module} exited with {self.process.returncode}; log:\n{self.log_text()[-4000:]}")
        return self

    def __enter__(self) -> "ServiceProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _exited(self) -> bool:
        return self.process.poll() is not None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 20.0) -> int | None:
        code = processes.stop(self.process, grace=timeout)
        if getattr(self, "_log", None):
            self._log.close()
        return code
