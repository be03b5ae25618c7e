"""The retry worker: every few seconds, another attempt at each pending email that is
due one (its backoff passed, or the handler that recorded it died before delivering)."""
from __future__ import annotations

from service_runtime.periodic import Periodic

from emailservice.mailer import Mailer
from emailservice.metrics import EMAILS

BATCH = 20


class RetryWorker(Periodic):
    def __init__(self, mailer: Mailer, *, interval: float):
        super().__init__("email retries", interval, self._round)
        self._mailer = mailer

    async def _round(self) -> bool:
        """One batch of due emails; the next round comes at once when the batch was full.
        A leased email a stop cuts short stays leased and is retried later."""
        outcomes = await self._mailer.retry_due(BATCH)
        for outcome in outcomes:
            EMAILS.labels(outcome.value).inc()
        return len(outcomes) == BATCH
