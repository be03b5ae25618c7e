"""Brute-force protection: when sign-in attempts for one email address are refused. Pure:
the store keeps an AttemptState per address (locked while it is decided, so concurrent
attempts are counted one after another) and the clock is passed in.

Every attempt is counted as a failure *before* its password is checked, and a success
clears the count afterwards. So however many attempts arrive at once, at most
`max_failures` of them get a password checked before the address locks."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int           # failures within the window that lock the address
    window: timedelta           # how far back failures count
    lock: timedelta             # how long the address stays locked


@dataclass(frozen=True)
class AttemptState:
    failures: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """The outcome of asking to attempt a sign-in: the state to store, and whether the
    attempt is refused (then retry_after_seconds > 0)."""

    state: AttemptState
    retry_after_seconds: int = 0

    @property
    def refused(self) -> bool:
        return self.retry_after_seconds > 0


def claim_attempt(state: AttemptState, now: datetime, policy: LockoutPolicy) -> Claim:
    """Refuse while the address is locked; otherwise count this attempt as a failure,
    locking the address when it reaches max_failures within the window."""
    if state.locked_until is not None and now < state.locked_until:
        return Claim(state, retry_after_seconds=max(1, math.ceil((state.locked_until - now).total_seconds())))
    window_over = state.window_start is None or now >= state.window_start + policy.window
    lock_over = state.locked_until is not None  # and it has passed: start afresh
    if window_over or lock_over:
        state = AttemptState(failures=0, window_start=now)
    failures = state.failures + 1
    locked_until = now + policy.lock if failures >= policy.max_failures else None
    return Claim(AttemptState(failures=failures, window_start=state.window_start, locked_until=locked_until))


def spent(state: AttemptState, now: datetime, policy: LockoutPolicy) -> bool:
    """Whether an address's state no longer matters: its window is over and it is not
    locked, so claim_attempt treats it as no state at all (the store may forget it)."""
    window_over = state.window_start is None or now >= state.window_start + policy.window
    return window_over and (state.locked_until is None or now >= state.locked_until)
