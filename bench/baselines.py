"""Starting the bare baselines the ratios of `make bench` divide by: a bare grpc.aio server
(bench/bare_server.py) and a bare Flask page served by gunicorn with the website's
settings (bench/bare_web.py), each on a free port and stopped when cleanup closes."""
from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

from tests.support.net import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]


def _start(cleanup: contextlib.ExitStack, argv: list[str], port: int, **popen) -> None:
    process = subprocess.Popen(argv, cwd=REPO, **popen)
    cleanup.callback(process.wait)
    cleanup.callback(process.terminate)
    wait_for_port(port)


def start_bare_grpc(cleanup: contextlib.ExitStack) -> str:
    """The bare grpc.aio server's address."""
    port = free_port()
    _start(cleanup, [sys.executable, "-m", "bench.bare_server", str(port)], port)
    return f"127.0.0.1:{port}"


def start_bare_web(cleanup: contextlib.ExitStack) -> str:
    """The bare Flask page's URL."""
    port = free_port()
    _start(cleanup, [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "8",
                     "--bind", f"127.0.0.1:{port}", "bench.bare_web:app"], port,
           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return f"http://127.0.0.1:{port}/"
