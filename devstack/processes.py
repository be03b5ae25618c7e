"""Stopping a child process the way a container runtime does: SIGTERM, a grace period for
its orderly shutdown, then SIGKILL; a whole `python -m devstack run` the way a person
does, with Ctrl-C; and a helper a child never outlives its parent with."""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from typing import Callable

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


# prctl(2)'s option: the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1


def dies_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A preexec_fn for subprocess.Popen: the child gets `sig` when this process ends, even
    by SIGKILL (Linux's parent-death signal), so a helper daemon cannot outlive the
    wrapper that started it and hold its port, or its supervisor's output pipe, forever."""
    libc = ctypes.CDLL(None, use_errno=True)  # looked up before the fork, called after it

    def set_parent_death_signal() -> None:
        if libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")

    return set_parent_death_signal
