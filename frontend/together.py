"""A page's independent backend calls, made at the same time: the home page asks for its
products, its categories and the cart's count at once, so it waits for the slowest of
them rather than their sum. Each call runs in a copy of the caller's context: Flask's
request and `g`, and the trace, live in context variables, so a call made here carries the
visitor's request id and address and belongs to the page's trace."""
from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

WORKERS = 32  # per process; each page uses a few at a time, for the length of its calls

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _executor() -> ThreadPoolExecutor:
    """This process's pool (made after gunicorn's fork, never inherited from the master)."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool, _pool_pid = ThreadPoolExecutor(WORKERS, thread_name_prefix="backend-call"), os.getpid()
    return _pool


def together(*calls: Callable[[], object]) -> list:
    """Each call's result, in order, the calls made at once (the first in this thread).
    When calls fail, the first of them (in order) raises, once every call has finished."""
    if len(calls) < 2:
        return [call() for call in calls]
    others = [_executor().submit(contextvars.copy_context().run, call) for call in calls[1:]]
    try:
        first = calls[0]()
    finally:
        wait(others)
    return [first, *(future.result() for future in others)]
