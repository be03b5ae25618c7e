"""The local stack's per-client limits on sign-in and registration, as named profiles.

Both limits count per client address, and a load generator is one address for hundreds of
shoppers (the website calls identity from its own address for all of its visitors, and
KrakenD names the load generator as the client of every API call). So `make loadtest`
starts the stack with the `loadtest` profile, chosen by STACK_LIMITS:

- `default` (what `make run` uses): identityservice's own LOGIN_RATE_PER_CLIENT and the
  gateway's rates as krakend/krakend.json has them.
- `loadtest`: password checks (sign-in) per client address raised to 50 a second and
  3,000 a minute, and the gateway's per-client rate on its rate-limited endpoints
  (registration; its limiter on login is ignored by KrakenD 1.4, see docs/decisions/0005)
  raised to 50 a second. tests/load/signins.py paces one locust process well under these.

Nothing else changes: the per-email lockout after failed sign-ins, and the gateway's limit
per endpoint over all clients, stay as they are."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

VARIABLE = "STACK_LIMITS"


@dataclass(frozen=True)
class Limits:
    name: str
    # identityservice's LOGIN_RATE_PER_CLIENT (limits' notation); None: the service's default.
    login_rate_per_client: str | None = None
    # KrakenD's clientMaxRate (requests a second per client address) on every endpoint with
    # a per-IP rate limit; None: as krakend/krakend.json has it.
    gateway_client_rate: int | None = None

    @property
    def is_default(self) -> bool:
        return self.login_rate_per_client is None and self.gateway_client_rate is None

    def describe(self) -> str:
        if self.is_default:
            return f"{self.name} (identityservice's LOGIN_RATE_PER_CLIENT default, krakend.json's rates)"
        return (f"{self.name} (sign-in: {self.login_rate_per_client} per client address; "
                f"gateway registration: {self.gateway_client_rate} a second per client address)")


DEFAULT = Limits("default")
LOADTEST = Limits("loadtest", login_rate_per_client="50/second;3000/minute", gateway_client_rate=50)
PROFILES = {profile.name: profile for profile in (DEFAULT, LOADTEST)}


def chosen(environ: Mapping[str, str]) -> Limits:
    """The profile STACK_LIMITS names (default when unset); ValueError naming the variable
    and the choices for any other value."""
    name = environ.get(VARIABLE, "") or DEFAULT.name
    if name not in PROFILES:
        raise ValueError(f"{VARIABLE}={name!r}: choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def environment(limits: Limits) -> dict[str, str]:
    """What the Procfile passes on: the profile's name (the gateway reads it back) and
    identity's rate, empty for the service's own default."""
    return {VARIABLE: limits.name, "STACK_LOGIN_RATE_PER_CLIENT": limits.login_rate_per_client or ""}


def recorded(env_file_text: str) -> str | None:
    """The profile a stack's stack.env (written by `python -m devstack run`) names; None
    when it names none (a stack from before profiles existed)."""
    for line in env_file_text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == VARIABLE:
            return value.strip() or None
    return None
