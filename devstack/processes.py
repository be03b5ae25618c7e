"""Stopping a child process the way a container runtime does: SIGTERM, a grace period for
its orderly shutdown, then SIGKILL."""
from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen | None, grace: float = 20.0) -> int | None:
    """Stop process if it still runs; its exit code (None if there was no process)."""
    if process is None:
        return None
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
