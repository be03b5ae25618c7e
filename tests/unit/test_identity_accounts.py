"""Signing in, against an in-memory store and a fake hasher: an unknown email costs the
same one verification as a wrong password and gives the same answer; a locked address
is refused before any verification; an account an admin locked is refused only once the
password is right; an outdated hash is replaced on success."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from identityservice.accounts import Accounts
from identityservice.errors import AccountLocked, InvalidCredentials, TooManyAttempts
from identityservice.lockout import AttemptState, LockoutPolicy
from identityservice.tokens import TokenPolicy
from identityservice.users import StoredUser, User

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
TOKENS = TokenPolicy("shop-identity", "shop-api", "shop-refresh", 900, 1_209_600)
LOCKOUT = LockoutPolicy(max_failures=3, window=timedelta(minutes=15), lock=timedelta(minutes=15))
ADA = User(id="u-ada", email="ada@example.com", display_name="Ada", roles=("customer",), create_time=NOW,
           update_time=NOW)


class FakeHasher:
    """hash(p) is "h:" + p; hashes starting "old:" need a rehash."""

    def __init__(self):
        self.verified: list[str] = []

    async def hash(self, password: str) -> str:
        return f"h:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash.split(":", 1)[1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return password_hash.startswith("old:")


class AttemptRow:
    def __init__(self, store, key):
        self._store, self._key = store, key
        self.state = store.attempts.get(key, AttemptState())

    async def save(self, state):
        self._store.attempts[self._key] = state


class FakeStore:
    """Just what signing in uses."""

    def __init__(self, *stored: StoredUser):
        self.users = {s.user.email.lower(): s for s in stored}  # the real store ignores case too
        self.attempts: dict[str, AttemptState] = {}
        self.sessions = []

    @asynccontextmanager
    async def login_attempts(self, key):
        yield AttemptRow(self, key)

    async def clear_login_attempts(self, key):
        self.attempts.pop(key, None)

    async def find_user_by_email(self, email):
        return self.users.get(email.lower())

    async def replace_password_hash(self, user_id, old_hash, new_hash):
        for email, stored in self.users.items():
            if stored.user.id == user_id and stored.password_hash == old_hash:
                self.users[email] = StoredUser(stored.user, new_hash)

    async def start_session(self, session, now):
        self.sessions.append(session)


def accounts(store, hasher):
    return Accounts(store, hasher, token_policy=TOKENS, lockout_policy=LOCKOUT, dummy_hash="dummy:nobody",
                    clock=lambda: NOW)


def sign_in(store, hasher, email, password):
    return asyncio.run(accounts(store, hasher).authenticate(email, password))


def test_an_unknown_email_and_a_wrong_password_cost_one_verification_and_answer_alike():
    store, hasher = FakeStore(StoredUser(ADA, "h:right-password")), FakeHasher()
    with pytest.raises(InvalidCredentials) as wrong:
        sign_in(store, hasher, "ada@example.com", "wrong-password")
    with pytest.raises(InvalidCredentials) as unknown:
        sign_in(store, hasher, "bob@example.com", "wrong-password")
    assert str(wrong.value) == str(unknown.value) == "invalid email or password"
    assert hasher.verified == ["h:right-password", "dummy:nobody"]


def test_a_success_starts_a_session_and_clears_the_failures():
    store, hasher = FakeStore(StoredUser(ADA, "h:right-password")), FakeHasher()
    with pytest.raises(InvalidCredentials):
        sign_in(store, hasher, "ada@example.com", "wrong-password")
    user, pair = sign_in(store, hasher, "ADA@Example.com", "right-password")
    assert user == ADA and pair.access.sub == ADA.id
    assert [(s.refresh_jti, s.access_jti) for s in store.sessions] == [(pair.refresh.jti, pair.access.jti)]
    assert store.attempts == {}


def test_a_locked_address_is_refused_before_any_verification_even_with_the_right_password():
    store, hasher = FakeStore(StoredUser(ADA, "h:right-password")), FakeHasher()
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            sign_in(store, hasher, "ada@example.com", "wrong-password")
    with pytest.raises(TooManyAttempts) as locked:
        sign_in(store, hasher, "ada@example.com", "right-password")
    assert locked.value.retry_after_seconds == 15 * 60
    assert len(hasher.verified) == 3


def test_an_unknown_email_locks_the_same_way():
    store, hasher = FakeStore(), FakeHasher()
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            sign_in(store, hasher, "nobody@example.com", "wrong-password")
    with pytest.raises(TooManyAttempts):
        sign_in(store, hasher, "nobody@example.com", "wrong-password")


def test_an_outdated_hash_is_replaced_on_success():
    store, hasher = FakeStore(StoredUser(ADA, "old:right-password")), FakeHasher()
    sign_in(store, hasher, "ada@example.com", "right-password")
    assert store.users["ada@example.com"].password_hash == "h:right-password"


def test_a_locked_account_is_refused_with_the_right_password_and_starts_no_session():
    locked = replace(ADA, lock_time=NOW - timedelta(days=1), lock_reason="chargeback")
    store, hasher = FakeStore(StoredUser(locked, "h:right-password")), FakeHasher()
    with pytest.raises(AccountLocked, match="this account is locked by the shop") as refused:
        sign_in(store, hasher, "ada@example.com", "right-password")
    assert refused.value.reason == "ACCOUNT_LOCKED" and "chargeback" not in str(refused.value)
    assert store.sessions == [] and store.attempts == {}


def test_a_locked_account_with_a_wrong_password_answers_as_any_wrong_password():
    locked = replace(ADA, lock_time=NOW)
    store, hasher = FakeStore(StoredUser(locked, "h:right-password")), FakeHasher()
    with pytest.raises(InvalidCredentials):
        sign_in(store, hasher, "ada@example.com", "wrong-password")
    assert store.attempts["ada@example.com"].failures == 1
