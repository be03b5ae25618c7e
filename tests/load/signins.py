"""How often the shoppers of one locust process may sign in and register, so that they stay
well under the shop's per-client limits. A load generator is one client address: the
website passes its own address (127.0.0.1) to identityservice for every visitor, and KrakenD
names the load generator as the client of every API call. So every password check of the
whole process (website registrations, which sign in, website sign-ins, API logins) counts
against one address's LOGIN_RATE_PER_CLIENT, and every API registration against the
gateway's per-client rate on registration.

The stack's limits profile (devstack/limits.py: `default` for `make run`, `loadtest` for
the stack `make loadtest` starts) sets those limits; LOADTEST_STACK_LIMITS names the
profile here, and PACING holds what this process may spend under each. Pure."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Mapping


class SignInBudget:
    """A token bucket: a burst of `burst`, then `per_minute` a minute."""

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
        """Spend one if the budget has one."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def take(self, sleep=time.sleep) -> None:
        """Wait (cooperatively, under locust's gevent) until one may be spent."""
        while not self.try_take():
            sleep(max(0.05, (1 - self.tokens) / self.rate))


@dataclass(frozen=True)
class Pacing:
    # Password checks (sign-ins, website registrations) of the whole locust process.
    sign_ins_per_minute: float
    sign_in_burst: int
    # API registrations (POST /api/v1/users) of the whole locust process.
    registrations_per_minute: float
    registration_burst: int
    # The website's "sign in again" task, of all its shoppers together, within the sign-ins
    # above: each costs identity an argon2id check (about 150 ms of CPU), so it is kept to
    # a steady trickle however many shoppers run.
    sign_ins_again_per_minute: float

    def sign_ins(self, clock=time.monotonic) -> SignInBudget:
        return SignInBudget(self.sign_ins_per_minute, self.sign_in_burst, clock)

    def registrations(self, clock=time.monotonic) -> SignInBudget:
        return SignInBudget(self.registrations_per_minute, self.registration_burst, clock)

    def sign_ins_again(self, clock=time.monotonic) -> SignInBudget:
        return SignInBudget(self.sign_ins_again_per_minute, 1, clock)


# At most about half of each limit, in any second and any minute
# (tests/unit/test_load_pacing.py holds them to it):
# - default: identityservice's 10 a second and 60 a minute, the gateway's 5 registrations
#   a second. 300 shoppers then take about 12 minutes to sign in: run against the
#   `loadtest` profile.
# - loadtest: 50 a second and 3,000 a minute, 50 registrations a second. 600 sign-ins a
#   minute let 300 shoppers start at 5 a second, beside the website's sign-ins again.
PACING = {
    "default": Pacing(sign_ins_per_minute=24, sign_in_burst=4, registrations_per_minute=90, registration_burst=1,
                      sign_ins_again_per_minute=12),
    "loadtest": Pacing(sign_ins_per_minute=600, sign_in_burst=15, registrations_per_minute=900, registration_burst=10,
                       sign_ins_again_per_minute=60),
}
PROFILE_VARIABLE = "LOADTEST_STACK_LIMITS"


def pacing(environ: Mapping[str, str]) -> Pacing:
    """The pacing for the profile LOADTEST_STACK_LIMITS names (default when unset), with
    LOADTEST_SIGNINS_PER_MINUTE, LOADTEST_SIGNIN_BURST and LOADTEST_SIGNINS_AGAIN_PER_MINUTE,
    when set, instead of its own."""
    name = environ.get(PROFILE_VARIABLE, "") or "default"
    if name not in PACING:
        raise ValueError(f"{PROFILE_VARIABLE}={name!r}: choose one of {', '.join(PACING)}")
    chosen = PACING[name]
    if environ.get("LOADTEST_SIGNINS_PER_MINUTE"):
        chosen = replace(chosen, sign_ins_per_minute=float(environ["LOADTEST_SIGNINS_PER_MINUTE"]))
    if environ.get("LOADTEST_SIGNIN_BURST"):
        chosen = replace(chosen, sign_in_burst=int(environ["LOADTEST_SIGNIN_BURST"]))
    if environ.get("LOADTEST_SIGNINS_AGAIN_PER_MINUTE"):
        chosen = replace(chosen, sign_ins_again_per_minute=float(environ["LOADTEST_SIGNINS_AGAIN_PER_MINUTE"]))
    return chosen
