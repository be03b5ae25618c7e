"""Users and their roles: display names, the role set, locks, the rule that the shop
always keeps an admin who can sign in, and what an admin may search users by. Pure."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from identityservice.errors import InvalidArgument, LastAdmin

CUSTOMER = "customer"
ADMIN = "admin"
# In the order they are shown.
ROLES = (CUSTOMER, ADMIN)
MAX_DISPLAY_NAME = 100
MAX_QUERY = 200
MAX_LOCK_REASON = 200


@dataclass(frozen=True)
class User:
    id: str
    email: str
    display_name: str
    roles: tuple[str, ...]
    create_time: datetime
    update_time: datetime
    # Set while an admin has the account locked (it cannot sign in or refresh).
    lock_time: datetime | None = None
    lock_reason: str = ""

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def locked(self) -> bool:
        return self.lock_time is not None


@dataclass(frozen=True)
class StoredUser:
    """A user with their password hash, as the store holds them."""

    user: User
    password_hash: str


def check_display_name(raw: str, field: str = "display_name") -> str:
    name = raw.strip()
    if not name:
        raise InvalidArgument(field, f"{field} must not be empty")
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidArgument(field, f"{field} must be at most {MAX_DISPLAY_NAME} characters")
    if _has_control_characters(name):
        raise InvalidArgument(field, f"{field} must not contain control characters")
    return name


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def check_lock_reason(raw: str, field: str = "reason") -> str:
    """Why an admin locks an account: trimmed, and may be empty."""
    reason = raw.strip()
    if len(reason) > MAX_LOCK_REASON:
        raise InvalidArgument(field, f"{field} must be at most {MAX_LOCK_REASON} characters")
    if _has_control_characters(reason):
        raise InvalidArgument(field, f"{field} must not contain control characters")
    return reason


def check_query(raw: str, field: str = "query") -> str:
    """A user search: the text to look for in emails and display names, trimmed; empty
    matches everyone."""
    query = raw.strip()
    if len(query) > MAX_QUERY:
        raise InvalidArgument(field, f"{field} must be at most {MAX_QUERY} characters")
    if _has_control_characters(query):
        raise InvalidArgument(field, f"{field} must not contain control characters")
    return query


def display_name_for(raw: str, email: str) -> str:
    """The display name given, or the email's local part when none is."""
    if raw.strip():
        return check_display_name(raw)
    return check_display_name(email.rpartition("@")[0][:MAX_DISPLAY_NAME])


def canonical_roles(roles: Iterable[str]) -> tuple[str, ...]:
    present = set(roles) | {CUSTOMER}
    return tuple(role for role in ROLES if role in present)


def check_roles(requested: Iterable[str]) -> tuple[str, ...]:
    """A complete new role set: known roles only, not empty; "customer" is always kept."""
    requested = list(requested)
    if not requested:
        raise InvalidArgument("roles", f"roles must not be empty (choose among {', '.join(ROLES)})")
    unknown = sorted({role for role in requested if role not in ROLES})
    if unknown:
        raise InvalidArgument("roles", f"roles: unknown role {unknown[0][:50]!r} (choose among {', '.join(ROLES)})")
    return canonical_roles(requested)


def check_admin_remains(current: tuple[str, ...], new: tuple[str, ...], other_admins: int) -> None:
    """LastAdmin if taking this user's roles from `current` to `new` leaves no admin who
    can sign in; `other_admins` counts the others that are not locked."""
    if ADMIN in current and ADMIN not in new and other_admins == 0:
        raise LastAdmin()


def check_lock_keeps_an_admin(user: User, other_admins: int) -> None:
    """LastAdmin if locking this (unlocked) user leaves no admin who can sign in;
    `other_admins` counts the others that are not locked."""
    if user.is_admin and other_admins == 0:
        raise LastAdmin()
