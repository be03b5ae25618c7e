"""How long a call may take, and the deadline of the call being handled, so that the calls
it makes never outlive it.

A caller waits for a call its budget (`budget`): the base (CALL_TIMEOUT_SECONDS in the
HTTP facade, RPC_TIMEOUT_SECONDS in the website, 5 s each by default), or a multiple of it
for the few calls that make many hops of their own. The limits nest, each shorter than the
one outside it (docs/decisions/0011-deadlines.md): KrakenD's endpoint timeout is the
facade's budget plus a second (a unit test keeps krakend.json so), so the gateway never
cuts off an answer the service was about to give.

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

# Calls that may take a multiple of the base budget: PlaceOrder makes eight hops, two of
# them (reserve, authorize) with a base budget of their own.
LONGER_CALLS = {"/shop.checkout.v1.CheckoutService/PlaceOrder": 3}


def budget(rpc_path: str, base: float) -> float:
    """How long a caller waits for the method ("/package.Service/Method")."""
    return base * LONGER_CALLS.get(rpc_path, 1)


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
