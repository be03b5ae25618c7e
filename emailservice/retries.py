"""The retry worker: every few seconds, another attempt at each pending email that is
due one (its backoff passed, or the handler that recorded it died before delivering)."""
from __future__ import annotations

import asyncio
import logging

from emailservice.mailer import Mailer
from emailservice.metrics import EMAILS

log = logging.getLogger("emailservice.retries")

BATCH = 20


class RetryWorker:
    def __init__(self, mailer: Mailer, *, interval: float):
        self._mailer = mailer
        self._interval = interval
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        # Whether the last round failed: an outage is logged once, not every round.
        self._failing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="email retries")

    async def stop(self, grace: float = 10.0) -> None:
        self._stopping.set()
        if self._task:
            try:
                await asyncio.wait_for(self._task, grace)
            except asyncio.TimeoutError:
                pass  # wait_for cancelled it; the email stays leased and is retried later

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                outcomes = await self._mailer.retry_due(BATCH)
            except Exception:  # the database, most likely: keep going, emails wait in it
                if not self._failing:
                    log.exception("retrying pending emails failed; trying again every %.1f s", self._interval)
                self._failing, outcomes = True, []
            else:
                if self._failing:
                    log.info("retrying pending emails works again")
                self._failing = False
            for outcome in outcomes:
                EMAILS.labels(outcome.value).inc()
            if len(outcomes) < BATCH:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self._interval)
                except asyncio.TimeoutError:
                    pass
