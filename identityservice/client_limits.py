"""How often one client may have a password checked: sign-in, and the account changes that
ask for the current password. Per client address, in this process's memory (each replica
counts for itself); the gateway's X-Forwarded-For names the client (service_runtime.
client_address). This is apart from the per-email lockout (lockout.py): that one stops
guessing one account's password from many addresses, this one stops one address from
trying many accounts."""
from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many, storage, strategies

from identityservice.errors import TooManyRequests

NAMESPACE = "password-check"


def parse_rates(text: str) -> list[RateLimitItem]:
    """"10/second;60/minute" → its limits; ValueError when it says nothing valid."""
    items = parse_many(text)
    if not items:
        raise ValueError(f"no rate limit in {text!r}")
    return items


class ClientLimits:
    def __init__(self, rates: list[RateLimitItem], clock=time.time):
        self._rates = rates
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._clock = clock

    def check(self, client: str) -> None:
        """Count one password check for client, or raise TooManyRequests (counting nothing)
        when any of the rates is used up."""
        full = [rate for rate in self._rates if not self._limiter.test(rate, NAMESPACE, client)]
        if full:
            reset = max(self._limiter.get_window_stats(rate, NAMESPACE, client).reset_time for rate in full)
            raise TooManyRequests(retry_after_seconds=max(1, math.ceil(reset - self._clock())))
        for rate in self._rates:
            self._limiter.hit(rate, NAMESPACE, client)
