"""When an API shopper refreshes its tokens, as a real client would: it reads the access
token's lifetime from the token itself (`exp` - `iat`; 15 minutes from this shop) and
exchanges the refresh token (`POST /api/v1/token/refresh`) once three quarters of that
lifetime has passed on its own clock, so that server and client clocks need not agree.
LOADTEST_TOKEN_REFRESH_SECONDS refreshes sooner, so a short run exercises it. Pure."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass

REFRESH_AT_FRACTION = 0.75


def claims(jwt: str) -> dict:
    """The claims of a compact JWT, unverified: the gateway checks the signature; a client
    only reads the times. ValueError for anything that is not a JWT with a JSON payload."""
    parts = jwt.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"unreadable JWT payload: {exc}") from None
    if not isinstance(decoded, dict):
        raise ValueError("the JWT payload is not an object")
    return decoded


def lifetime_seconds(jwt: str) -> float:
    """How long a token is valid from its issue (`exp` - `iat`)."""
    found = claims(jwt)
    try:
        lifetime = float(found["exp"]) - float(found["iat"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("the JWT has no numeric exp and iat") from None
    if lifetime <= 0:
        raise ValueError("the JWT expires before it is issued")
    return lifetime


@dataclass(frozen=True)
class Session:
    """A signed-in API client's tokens, and when (on the client's monotonic clock) it got them."""
    access_token: str
    refresh_token: str
    received_at: float
    lifetime: float

    @classmethod
    def from_pair(cls, pair: dict, received_at: float) -> "Session":
        """From the login or refresh answer ({"access_token", "refresh_token", ...});
        ValueError when a token is missing or unreadable."""
        access, refresh = pair.get("access_token"), pair.get("refresh_token")
        if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
            raise ValueError("the answer lacks access_token or refresh_token")
        return cls(access, refresh, received_at, lifetime_seconds(access))

    def refresh_due_at(self, refresh_every: float | None = None) -> float:
        """When to refresh: at three quarters of the access token's lifetime, or after
        refresh_every seconds if that is sooner."""
        wait = self.lifetime * REFRESH_AT_FRACTION
        if refresh_every is not None:
            wait = min(wait, refresh_every)
        return self.received_at + wait

    def refresh_due(self, now: float, refresh_every: float | None = None) -> bool:
        return now >= self.refresh_due_at(refresh_every)
