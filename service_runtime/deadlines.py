"""The deadline of the call being handled, so that the calls it makes never outlive it.

The server interceptor records when the incoming call's deadline passes (`handling`);
every outgoing call then waits at most the smaller of its own cap and what is left of
that (`capped`). Checkout's hops after a slow one get less time, not their full cap,
and none is still running when its caller has given up. Outside a call (an event
consumer, a periodic worker) there is no deadline to inherit and the cap alone holds."""
from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from typing import Iterator

# When the call being handled must be answered (time.monotonic()), or None.
_deadline: ContextVar[float | None] = ContextVar("call_deadline", default=None)


@contextlib.contextmanager
def handling(time_remaining: float | None) -> Iterator[None]:
    """While a call with this much time left (None: no deadline) is handled."""
    token = _deadline.set(None if time_remaining is None else time.monotonic() + time_remaining)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the handled call's deadline (0 when passed); None without one."""
    deadline = _deadline.get()
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


def capped(timeout: float) -> float:
    """An outgoing call's timeout: its own, or what the handled call has left if less."""
    left = remaining()
    return timeout if left is None else min(timeout, left)
