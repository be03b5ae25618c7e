"""Token claims. identityservice never signs anything: it returns these claims and the
gateway signs them as JWTs. Pure: the clock and the token ids are passed in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    access_audience: str
    refresh_audience: str
    access_ttl_seconds: int
    refresh_ttl_seconds: int


@dataclass(frozen=True)
class Claims:
    """One token's claims, named as in a JWT; exp and iat are seconds since the epoch."""

    sub: str
    iss: str
    aud: str
    exp: int
    iat: int
    jti: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class TokenPair:
    access: Claims
    refresh: Claims


def issued_at(now: datetime) -> int:
    """A NumericDate: whole seconds, rounded down."""
    return int(now.timestamp())


def refresh_expiry(policy: TokenPolicy, now: datetime) -> datetime:
    """When a refresh token issued now expires: its session's expiry."""
    return datetime.fromtimestamp(issued_at(now) + policy.refresh_ttl_seconds, timezone.utc)


def issue_pair(policy: TokenPolicy, user_id: str, roles: tuple[str, ...], now: datetime,
               *, access_jti: str, refresh_jti: str) -> TokenPair:
    iat = issued_at(now)
    return TokenPair(
        access=Claims(sub=user_id, iss=policy.issuer, aud=policy.access_audience,
                      exp=iat + policy.access_ttl_seconds, iat=iat, jti=access_jti, roles=tuple(roles)),
        refresh=Claims(sub=user_id, iss=policy.issuer, aud=policy.refresh_audience,
                       exp=iat + policy.refresh_ttl_seconds, iat=iat, jti=refresh_jti, roles=tuple(roles)),
    )
