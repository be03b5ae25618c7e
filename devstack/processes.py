"""Stopping a child process the way a container runtime does: SIGTERM, a grace period for
its orderly shutdown, then SIGKILL; and a whole `python -m devstack run` the way a person
does, with Ctrl-C."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess

# Ctrl-C, then harder, each with the time it gets.
INTERRUPT_SIGNALS = ((signal.SIGINT, 60), (signal.SIGTERM, 20), (signal.SIGKILL, 10))


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


def interrupt_group(process: subprocess.Popen) -> None:
    """Stop a process started in a session of its own, and everything in its process
    group, as Ctrl-C would (`python -m devstack run`: honcho stops every server), harder
    if it will not go."""
    for sig, grace in INTERRUPT_SIGNALS:
        if process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
