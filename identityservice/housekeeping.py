"""Housekeeping: every few minutes, forget what can no longer matter, so the identity
database does not grow with every address ever tried and every session ever begun.
Spent sign-in attempt states go (lockout.spent: an address sprayed by a guesser leaves
a row behind), and so do sessions whose refresh token has expired, with their retired
token ids."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from service_runtime.periodic import Periodic

from identityservice.lockout import LockoutPolicy
from identityservice.repository import IdentityRepository

log = logging.getLogger("identityservice.housekeeping")


class Housekeeping(Periodic):
    def __init__(self, repository: IdentityRepository, lockout: LockoutPolicy, *, interval: float):
        super().__init__("identity housekeeping", interval, self.round)
        self._repo = repository
        self._lockout = lockout

    async def round(self) -> None:
        attempts, sessions = await self._repo.forget_spent(datetime.now(timezone.utc), self._lockout.window)
        if attempts or sessions:
            log.info("forgot spent sign-in attempts and expired sessions",
                     extra={"attempt_rows": attempts, "sessions": sessions})
