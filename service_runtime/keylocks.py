"""One at a time per key, in the order they asked: how a consumer handles several messages
at once while an order's own events still go one after another, in queue order.

`asyncio.Lock` wakes its waiters first come, first served, and a task that asks for a
free lock gets it without yielding, so tasks that ask in the order the messages arrived
run in that order for each key. A key's lock is forgotten once nobody holds or awaits it,
so the table stays as small as the work in flight."""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Hashable


class KeyLocks:
    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """How many keys have a holder or a waiter."""
        return len(self._locks)
