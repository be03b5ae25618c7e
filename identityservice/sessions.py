"""Sign-in sessions. Each sign-in starts one; it holds the jti of its current refresh
token and of the access token issued with it. Refresh replaces both (the old ones are
kept as retired, to recognise a reused refresh token); logout, a password change and
account deletion revoke it. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from identityservice.tokens import TokenPair


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    refresh_jti: str
    access_jti: str
    create_time: datetime
    expire_time: datetime


class Rotation(Enum):
    """What presenting a refresh jti did."""

    ROTATED = "rotated: a new pair in the same session"
    REUSED = "an already rotated refresh token: its session is revoked"
    REFUSED = "unknown, expired, revoked or another user's: nothing changed"


@dataclass(frozen=True)
class Renewal:
    """The new jtis and expiry of a session being refreshed."""

    access_jti: str
    refresh_jti: str
    expire_time: datetime


def session_for(session_id: str, pair: TokenPair, now: datetime, expire_time: datetime) -> Session:
    return Session(id=session_id, user_id=pair.access.sub, refresh_jti=pair.refresh.jti,
                   access_jti=pair.access.jti, create_time=now, expire_time=expire_time)


def is_live(expire_time: datetime, revoke_time: datetime | None, now: datetime) -> bool:
    """A session accepts its refresh token until it expires or is revoked."""
    return revoke_time is None and now < expire_time
