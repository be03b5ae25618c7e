"""A background task that does one round of work every few seconds until the service
stops: the shape of every periodic worker the services run (a ServiceHost worker: start,
stop). A round that fails is logged (once per outage, not every round) and the next one
tries again; a round may ask for the next one at once, when it left work undone."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

log = logging.getLogger("service_runtime.periodic")


class Periodic:
    def __init__(self, name: str, interval: float, work: Callable[[], Awaitable[bool | None]]):
        """work() is one round; it returns True to have the next round start at once."""
        self._name = name
        self._interval = interval
        self._work = work
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._failing = False  # whether the last round failed: an outage is logged once

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self, grace: float = 10.0) -> None:
        """Let the round under way finish within grace; one cut short is cancelled (its
        work must be safe to redo: a transaction rolls back, a lease runs out)."""
        self._stopping.set()
        if self._task:
            _done, pending = await asyncio.wait([self._task], timeout=grace)
            for task in pending:
                task.cancel()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                again = await self._work()
            except Exception:  # the database or a service, most likely: the next round tries again
                if not self._failing:
                    log.exception("%s failed; trying again every %.1f s", self._name, self._interval)
                self._failing, again = True, False
            else:
                if self._failing:
                    log.info("%s works again", self._name)
                self._failing = False
            if not again:
                await self.sleep(self._interval)

    async def sleep(self, seconds: float) -> None:
        await pause(self._stopping, seconds)


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stopping` is set meanwhile."""
    try:
        await asyncio.wait_for(stopping.wait(), seconds)
    except asyncio.TimeoutError:
        pass
