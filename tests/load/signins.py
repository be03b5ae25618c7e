"""How often the website's shoppers may sign in. The website passes its own client address
to identityservice, so every sign-in through it counts against one address's limit there
(`LOGIN_RATE_PER_CLIENT`, by default 10 a second and 60 a minute). A token bucket keeps
this locust process under both: a burst of `burst`, then `per_minute` a minute."""
from __future__ import annotations

import time


class SignInBudget:
    def __init__(self, per_minute: float, burst: int, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def try_take(self) -> bool:
        """Spend one sign-in if the budget has one."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def take(self, sleep=time.sleep) -> None:
        """Wait (cooperatively, under locust's gevent) until a sign-in may be spent."""
        while not self.try_take():
            sleep(max(0.05, (1 - self.tokens) / self.rate))
