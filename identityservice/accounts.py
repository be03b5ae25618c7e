"""Accounts: what each RPC does to users, passwords and sessions, and the first admin.
Pure: storage is the IdentityStore handed in (repository.py), password hashing the
Hasher (hashing.py); the clock and the ids are passed in too."""
from __future__ import annotations

import logging
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timezone
from enum import Enum
from typing import Callable, Protocol

from service_runtime.paging import Paging

from identityservice import emails, lockout, passwords, tokens, users
from identityservice.errors import (AccountLocked, AdminPasswordRequired, AdminWouldBePromoted, EmailTaken,
                                    InvalidArgument, InvalidCredentials, InvalidRefreshToken, SessionEnded,
                                    TooManyAttempts, UserNotFound, WrongPassword)
from identityservice.lockout import AttemptState, LockoutPolicy
from identityservice.sessions import Renewal, Rotation, Session, session_for
from identityservice.tokens import TokenPair, TokenPolicy
from identityservice.users import StoredUser, User

log = logging.getLogger("identityservice.accounts")

# Longer user ids are not looked up: no id this service issues is that long.
MAX_ID = 100


class Hasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """True if the password matches; False otherwise, including for a malformed hash."""

    def needs_rehash(self, password_hash: str) -> bool: ...


class LoginAttempts(Protocol):
    """An address's sign-in attempt state, held (locked) until the block ends."""

    state: AttemptState

    async def save(self, state: AttemptState) -> None: ...


class UserChange(Protocol):
    """A user held (row-locked) until the block ends; None if there is no such user."""

    stored: StoredUser | None

    async def count_other_unlocked_admins(self) -> int:
        """Admins other than this user who can sign in (only meaningful when the change was
        opened with admins=True, which serializes every change that can remove one)."""

    async def set_roles(self, roles: tuple[str, ...], now: datetime) -> User: ...

    async def lock(self, reason: str, now: datetime) -> User:
        """Lock the user and revoke every session of theirs, in one step."""

    async def unlock(self, now: datetime) -> User: ...

    async def update_profile(self, display_name: str, email: str, now: datetime) -> User:
        """EmailTaken if another account has the email."""

    async def set_password_hash(self, password_hash: str, now: datetime) -> None:
        """Store the new hash and revoke every session of the user, in one step."""

    async def delete(self) -> None:
        """Delete the user and their sessions."""


class IdentityStore(Protocol):
    async def add_user(self, user: User, password_hash: str) -> None:
        """EmailTaken if an account has the email (compared case-insensitively)."""

    async def find_user(self, user_id: str) -> StoredUser | None: ...

    async def find_user_by_email(self, email: str) -> StoredUser | None: ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        """A rehash of the same password: sessions stay. Nothing if old_hash is no longer current."""

    async def add_role(self, user_id: str, role: str, now: datetime) -> None: ...

    async def list_users(self, paging: Paging, query: str = "") -> tuple[list[User], int]:
        """A page of the users whose email or display name contains the query (ignoring
        case; everyone when it is empty), newest first, and how many there are."""

    def login_attempts(self, email_key: str) -> AbstractAsyncContextManager[LoginAttempts]: ...

    async def clear_login_attempts(self, email_key: str) -> None: ...

    async def start_session(self, session: Session, now: datetime) -> None:
        """Record a new session (and forget the user's sessions that expired before now)."""

    async def rotate_session(self, user_id: str, refresh_jti: str, renewal: Renewal,
                             now: datetime) -> tuple[Rotation, User | None]:
        """If refresh_jti is the current refresh jti of a live session of the user, and the
        user is not locked, give that session the renewal's jtis and expiry and return the
        user (ROTATED). If it is a refresh jti the user's session already rotated away
        from, revoke that session (REUSED). Otherwise change nothing (REFUSED)."""

    async def revoke_session(self, user_id: str, jti: str, now: datetime) -> None:
        """Revoke the user's session that this access or refresh jti belongs to, if any."""

    async def revoke_all_sessions(self, user_id: str, now: datetime) -> None: ...

    async def live_session_user(self, user_id: str, jti: str, now: datetime) -> User | None:
        """The user whose live session the jti belongs to, or None."""

    def user_change(self, user_id: str, *, admins: bool = False) -> AbstractAsyncContextManager[UserChange]: ...


class AdminSetup(Enum):
    """What ensuring the configured first admin did, for the log."""

    CREATED = "created the account with the admin role"
    PROMOTED = "gave the existing account the admin role"
    ALREADY_ADMIN = "the account is already an admin"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    """User and session ids: random UUIDs (never containing ':', which HTTP routes use)."""
    return str(uuid.uuid4())


def new_jti() -> str:
    return uuid.uuid4().hex


def _required(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument(field, f"{field} is required")
    return value


def _user_id(user_id: str) -> str:
    """A user id worth looking up: given, and not longer than any this service issues."""
    _required(user_id, "user_id")
    if len(user_id) > MAX_ID:
        raise UserNotFound(user_id)
    return user_id


class Accounts:
    def __init__(self, store: IdentityStore, hasher: Hasher, *, token_policy: TokenPolicy,
                 lockout_policy: LockoutPolicy, dummy_hash: str, clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = new_id, new_jti: Callable[[], str] = new_jti):
        self._store = store
        self._hasher = hasher
        self._tokens = token_policy
        self._lockout = lockout_policy
        # Verified against when an email is unknown, so that answer takes as long.
        self._dummy_hash = dummy_hash
        self._clock = clock
        self._new_id = new_id
        self._new_jti = new_jti

    # -- registration and sign-in -------------------------------------------------------

    async def register(self, email: str, password: str, display_name: str) -> User:
        return await self._add_user(emails.normalize(email), password, display_name, (users.CUSTOMER,))

    async def _add_user(self, email: str, password: str, display_name: str, roles: tuple[str, ...]) -> User:
        passwords.check(password, email)
        name = users.display_name_for(display_name, email)
        password_hash = await self._hasher.hash(password)
        now = self._clock()
        user = User(id=self._new_id(), email=email, display_name=name, roles=users.canonical_roles(roles),
                    create_time=now, update_time=now)
        await self._store.add_user(user, password_hash)
        log.info("user registered", extra={"user_id": user.id})
        return user

    async def authenticate(self, email: str, password: str) -> tuple[User, TokenPair]:
        email = emails.normalize_allowing_special_use(email)
        _required(password, "password")
        if len(password) > passwords.MAX_LENGTH:  # no account has one; not worth hashing
            raise InvalidCredentials()
        key = emails.key(email)
        async with self._store.login_attempts(key) as attempts:
            claim = lockout.claim_attempt(attempts.state, self._clock(), self._lockout)
            await attempts.save(claim.state)
        if claim.refused:
            raise TooManyAttempts(claim.retry_after_seconds)
        stored = await self._store.find_user_by_email(email)
        # One argon2 verification either way: an unknown email takes as long as a wrong password.
        matches = await self._hasher.verify(stored.password_hash if stored else self._dummy_hash, password)
        if stored is None or not matches:
            if claim.state.locked_until is not None:
                log.warning("sign-in locked after repeated failures",
                            extra={"failures": claim.state.failures, "lock_seconds": self._lockout.lock.total_seconds()})
            raise InvalidCredentials()
        # The password is right, so this attempt is no guess: it never adds to a lockout.
        await self._store.clear_login_attempts(key)
        if stored.user.locked:
            log.info("sign-in refused: the account is locked", extra={"user_id": stored.user.id})
            raise AccountLocked()
        if self._hasher.needs_rehash(stored.password_hash):
            await self._store.replace_password_hash(stored.user.id, stored.password_hash,
                                                    await self._hasher.hash(password))
        now = self._clock()
        pair = self._issue(stored.user, now)
        await self._store.start_session(
            session_for(self._new_id(), pair, now, tokens.refresh_expiry(self._tokens, now)), now)
        log.info("signed in", extra={"user_id": stored.user.id})
        return stored.user, pair

    def _issue(self, user: User, now: datetime, access_jti: str = "", refresh_jti: str = "") -> TokenPair:
        return tokens.issue_pair(self._tokens, user.id, user.roles, now,
                                 access_jti=access_jti or self._new_jti(), refresh_jti=refresh_jti or self._new_jti())

    # -- sessions -----------------------------------------------------------------------

    async def refresh(self, user_id: str, jti: str) -> tuple[User, TokenPair]:
        if not user_id or not jti or len(user_id) > MAX_ID or len(jti) > MAX_ID:
            raise InvalidRefreshToken()
        now = self._clock()
        renewal = Renewal(access_jti=self._new_jti(), refresh_jti=self._new_jti(),
                          expire_time=tokens.refresh_expiry(self._tokens, now))
        outcome, user = await self._store.rotate_session(user_id, jti, renewal, now)
        if outcome is Rotation.REUSED:
            log.warning("a rotated refresh token was presented again: its session is revoked",
                        extra={"user_id": user_id})
        if outcome is not Rotation.ROTATED or user is None:
            raise InvalidRefreshToken()
        return user, self._issue(user, now, renewal.access_jti, renewal.refresh_jti)

    async def logout(self, user_id: str, jti: str, all_sessions: bool) -> None:
        """Idempotent: an unknown, expired or already revoked jti is not an error."""
        _required(user_id, "user_id")
        if all_sessions:
            await self._store.revoke_all_sessions(user_id, self._clock())
            return
        _required(jti, "jti")
        if len(user_id) <= MAX_ID and len(jti) <= MAX_ID:
            await self._store.revoke_session(user_id, jti, self._clock())

    async def check_session(self, user_id: str, jti: str) -> User:
        _required(user_id, "user_id")
        _required(jti, "jti")
        if len(user_id) > MAX_ID or len(jti) > MAX_ID:
            raise SessionEnded()
        user = await self._store.live_session_user(user_id, jti, self._clock())
        # A locked user's sessions were revoked; a sign-in racing the lock may still have
        # started one after that.
        if user is None or user.locked:
            raise SessionEnded()
        return user

    # -- the signed-in user's account ---------------------------------------------------

    async def _find(self, user_id: str) -> StoredUser:
        stored = await self._store.find_user(_user_id(user_id))
        if stored is None:
            raise UserNotFound(user_id)
        return stored

    async def get_profile(self, user_id: str) -> User:
        return (await self._find(user_id)).user

    async def update_profile(self, user_id: str, display_name: str | None, email: str | None,
                             current_password: str) -> User:
        stored = await self._find(user_id)
        name = users.check_display_name(display_name) if display_name is not None else stored.user.display_name
        new_email = emails.normalize(email) if email is not None else stored.user.email
        if new_email != stored.user.email:
            _required(current_password, "current_password")
            if not await self._hasher.verify(stored.password_hash, current_password):
                raise WrongPassword("current_password")
        if (name, new_email) == (stored.user.display_name, stored.user.email):
            return stored.user
        email_changes = new_email != stored.user.email
        async with self._store.user_change(user_id) as change:
            self._check_unchanged(change, stored, user_id, password_checked=email_changes)
            current = change.stored.user  # what was not asked to change keeps its latest value
            return await change.update_profile(name if display_name is not None else current.display_name,
                                               new_email if email_changes else current.email, self._clock())

    @staticmethod
    def _check_unchanged(change: UserChange, stored: StoredUser, user_id: str, *, password_checked: bool) -> None:
        if change.stored is None:
            raise UserNotFound(user_id)
        if password_checked and change.stored.password_hash != stored.password_hash:
            # The password changed between checking it and now: the one given is not current.
            raise WrongPassword("current_password")

    async def change_password(self, user_id: str, current_password: str, new_password: str) -> None:
        """Set a new password and revoke every session of the user."""
        stored = await self._find(user_id)
        _required(current_password, "current_password")
        passwords.check(new_password, stored.user.email, "new_password")
        if new_password == current_password:
            raise InvalidArgument("new_password", "new_password must differ from the current password")
        if not await self._hasher.verify(stored.password_hash, current_password):
            raise WrongPassword("current_password")
        new_hash = await self._hasher.hash(new_password)
        async with self._store.user_change(user_id) as change:
            self._check_unchanged(change, stored, user_id, password_checked=True)
            await change.set_password_hash(new_hash, self._clock())
        log.info("password changed; every session revoked", extra={"user_id": user_id})

    async def delete_account(self, user_id: str, password: str) -> None:
        stored = await self._find(user_id)
        _required(password, "password")
        if not await self._hasher.verify(stored.password_hash, password):
            raise WrongPassword("password")
        async with self._store.user_change(user_id, admins=True) as change:
            if change.stored is None:
                raise UserNotFound(user_id)
            if change.stored.password_hash != stored.password_hash:
                raise WrongPassword("password")
            users.check_admin_remains(change.stored.user.roles, (), await change.count_other_unlocked_admins())
            await change.delete()
        log.info("account deleted", extra={"user_id": user_id})

    # -- administration (the gateway lets only admins call these) ------------------------

    async def list_users(self, paging: Paging, query: str = "") -> tuple[list[User], int]:
        return await self._store.list_users(paging, users.check_query(query))

    async def set_roles(self, user_id: str, roles: list[str]) -> User:
        user_id = _user_id(user_id)
        new_roles = users.check_roles(roles)
        async with self._store.user_change(user_id, admins=True) as change:
            if change.stored is None:
                raise UserNotFound(user_id)
            current = change.stored.user.roles
            if current == new_roles:
                return change.stored.user
            users.check_admin_remains(current, new_roles, await change.count_other_unlocked_admins())
            user = await change.set_roles(new_roles, self._clock())
        log.info("roles set", extra={"user_id": user_id, "roles": list(new_roles)})
        return user

    async def lock_user(self, user_id: str, reason: str) -> User:
        """Lock the account and end every session of it; a locked one stays as it is."""
        user_id = _user_id(user_id)
        reason = users.check_lock_reason(reason)
        async with self._store.user_change(user_id, admins=True) as change:
            if change.stored is None:
                raise UserNotFound(user_id)
            if change.stored.user.locked:
                return change.stored.user
            users.check_lock_keeps_an_admin(change.stored.user, await change.count_other_unlocked_admins())
            user = await change.lock(reason, self._clock())
        log.info("account locked; every session revoked", extra={"user_id": user_id})
        return user

    async def unlock_user(self, user_id: str) -> User:
        """Let the account sign in again; one that is not locked stays as it is."""
        user_id = _user_id(user_id)
        async with self._store.user_change(user_id) as change:
            if change.stored is None:
                raise UserNotFound(user_id)
            if not change.stored.user.locked:
                return change.stored.user
            user = await change.unlock(self._clock())
        log.info("account unlocked", extra={"user_id": user_id})
        return user

    async def ensure_admin(self, email: str, password: str, *, promote_existing: bool = False) -> AdminSetup:
        """The configured first admin: create the account with the admin role, or, when
        promote_existing allows it, give an existing ordinary account the role (else
        AdminWouldBePromoted). An existing account's password is never changed."""
        email = emails.normalize_allowing_special_use(email, "ADMIN_EMAIL")
        stored = await self._store.find_user_by_email(email)
        if stored is None:
            if not password:
                raise AdminPasswordRequired(
                    "ADMIN_PASSWORD is required: no account has the ADMIN_EMAIL address yet, so it will be created")
            try:
                await self._add_user(email, password, "", (users.CUSTOMER, users.ADMIN))
                return AdminSetup.CREATED
            except EmailTaken:  # another replica created it meanwhile
                stored = await self._store.find_user_by_email(email)
        if stored.user.is_admin:
            return AdminSetup.ALREADY_ADMIN
        if not promote_existing:
            raise AdminWouldBePromoted(
                "ADMIN_EMAIL names an existing account that is not an admin; it is not given the admin role "
                "unasked: set ADMIN_PROMOTE_EXISTING=true to promote it, or choose another ADMIN_EMAIL")
        await self._store.add_role(stored.user.id, users.ADMIN, self._clock())
        return AdminSetup.PROMOTED
