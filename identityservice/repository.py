"""All identity storage: users, sessions, retired token ids and sign-in attempt counts in
PostgreSQL. Every query is parameterized; each change is one transaction."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import AsyncIterator

from psycopg import AsyncConnection
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from service_runtime.paging import Paging

from identityservice.errors import EmailTaken
from identityservice.lockout import AttemptState
from identityservice.sessions import Renewal, Rotation, Session, is_live
from identityservice.users import ADMIN, StoredUser, User, canonical_roles

EMAIL_CONSTRAINT = "users_email_key"
# Every change that can take the admin role away from someone, or lock an admin, holds
# this lock, so two of them cannot each see the other's admin and together leave none.
ADMINS_LOCK = "identity:admins"

_USER_COLUMNS = "id, email, display_name, roles, create_time, update_time, lock_time, lock_reason"
_STORED_COLUMNS = f"{_USER_COLUMNS}, password_hash"
# Who counts towards "the shop keeps an admin": admins that are not locked.
_UNLOCKED_ADMIN = "%(admin)s = ANY (roles) AND lock_time IS NULL"
# An admin's user search: the text anywhere in the email or display name, ignoring case
# (strpos, not LIKE, so "%" and "_" are just characters); an empty query matches everyone.
_MATCHES_QUERY = """(%(query)s = '' OR strpos(lower(email), lower(%(query)s)) > 0
                     OR strpos(lower(display_name), lower(%(query)s)) > 0)"""


def _user(row: dict) -> User:
    return User(id=row["id"], email=row["email"], display_name=row["display_name"],
                roles=canonical_roles(row["roles"]), create_time=row["create_time"], update_time=row["update_time"],
                lock_time=row["lock_time"], lock_reason=row["lock_reason"])


def _stored(row: dict | None) -> StoredUser | None:
    return StoredUser(_user(row), row["password_hash"]) if row else None


async def _one(conn: AsyncConnection, query: str, params: tuple | dict) -> dict | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    return await cur.fetchone()


def _email_taken(exc: pg_errors.UniqueViolation) -> Exception:
    return EmailTaken() if exc.diag.constraint_name == EMAIL_CONSTRAINT else exc


async def _revoke_all_sessions(conn: AsyncConnection, user_id: str, now: datetime) -> None:
    await conn.execute("UPDATE sessions SET revoke_time = %s WHERE user_id = %s AND revoke_time IS NULL",
                       (now, user_id))


class LoginAttemptRow:
    """One address's attempt state, row-locked until its transaction ends."""

    def __init__(self, conn: AsyncConnection, email_key: str, state: AttemptState):
        self._conn = conn
        self._key = email_key
        self.state = state

    async def save(self, state: AttemptState) -> None:
        await self._conn.execute(
            "UPDATE login_attempts SET failures = %s, window_start = %s, locked_until = %s WHERE email_key = %s",
            (state.failures, state.window_start, state.locked_until, self._key),
        )
        self.state = state


class UserRowChange:
    """One user, row-locked until its transaction ends."""

    def __init__(self, conn: AsyncConnection, stored: StoredUser | None):
        self._conn = conn
        self.stored = stored

    @property
    def _id(self) -> str:
        return self.stored.user.id

    async def count_other_unlocked_admins(self) -> int:
        row = await _one(self._conn, f"SELECT count(*) AS n FROM users WHERE {_UNLOCKED_ADMIN} AND id <> %(id)s",
                         {"admin": ADMIN, "id": self._id})
        return row["n"]

    async def set_roles(self, roles: tuple[str, ...], now: datetime) -> User:
        return _user(await _one(
            self._conn, f"UPDATE users SET roles = %s, update_time = %s WHERE id = %s RETURNING {_USER_COLUMNS}",
            (list(roles), now, self._id)))

    async def update_profile(self, display_name: str, email: str, now: datetime) -> User:
        try:
            return _user(await _one(
                self._conn,
                f"""UPDATE users SET display_name = %s, email = %s, update_time = %s WHERE id = %s
                    RETURNING {_USER_COLUMNS}""",
                (display_name, email, now, self._id)))
        except pg_errors.UniqueViolation as exc:
            raise _email_taken(exc) from None

    async def set_password_hash(self, password_hash: str, now: datetime) -> None:
        await self._conn.execute("UPDATE users SET password_hash = %s, update_time = %s WHERE id = %s",
                                 (password_hash, now, self._id))
        await _revoke_all_sessions(self._conn, self._id, now)

    async def delete(self) -> None:
        await self._conn.execute("DELETE FROM users WHERE id = %s", (self._id,))  # sessions cascade

    async def lock(self, reason: str, now: datetime) -> User:
        user = _user(await _one(
            self._conn,
            f"""UPDATE users SET lock_time = %s, lock_reason = %s, update_time = %s WHERE id = %s
                RETURNING {_USER_COLUMNS}""",
            (now, reason, now, self._id)))
        await _revoke_all_sessions(self._conn, self._id, now)
        return user

    async def unlock(self, now: datetime) -> User:
        return _user(await _one(
            self._conn,
            f"""UPDATE users SET lock_time = NULL, lock_reason = '', update_time = %s WHERE id = %s
                RETURNING {_USER_COLUMNS}""",
            (now, self._id)))


class IdentityRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    # -- users --------------------------------------------------------------------------

    async def add_user(self, user: User, password_hash: str) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    """INSERT INTO users (id, email, display_name, roles, create_time, update_time, password_hash)
                       VALUES (%s, %s, %s, %s, %s, %s, %s)""",
                    (user.id, user.email, user.display_name, list(user.roles), user.create_time,
                     user.update_time, password_hash),
                )
        except pg_errors.UniqueViolation as exc:
            raise _email_taken(exc) from None

    async def find_user(self, user_id: str) -> StoredUser | None:
        async with self._pool.connection() as conn:
            return _stored(await _one(conn, f"SELECT {_STORED_COLUMNS} FROM users WHERE id = %s", (user_id,)))

    async def find_user_by_email(self, email: str) -> StoredUser | None:
        async with self._pool.connection() as conn:
            return _stored(await _one(
                conn, f"SELECT {_STORED_COLUMNS} FROM users WHERE lower(email) = lower(%s)", (email,)))

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s",
                               (new_hash, user_id, old_hash))

    async def add_role(self, user_id: str, role: str, now: datetime) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                """UPDATE users SET roles = array_append(roles, %(role)s), update_time = %(now)s
                   WHERE id = %(id)s AND NOT (%(role)s = ANY (roles))""",
                {"role": role, "now": now, "id": user_id},
            )

    async def list_users(self, paging: Paging, query: str = "") -> tuple[list[User], int]:
        params = {"query": query, "limit": paging.limit, "offset": paging.offset}
        async with self._pool.connection() as conn:
            total = (await _one(conn, f"SELECT count(*) AS n FROM users WHERE {_MATCHES_QUERY}", params))["n"]
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"""SELECT {_USER_COLUMNS} FROM users WHERE {_MATCHES_QUERY}
                    ORDER BY create_time DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s""",
                params,
            )
            return [_user(row) for row in await cur.fetchall()], total

    @asynccontextmanager
    async def user_change(self, user_id: str, *, admins: bool = False) -> AsyncIterator[UserRowChange]:
        async with self._pool.connection() as conn, conn.transaction():
            if admins:
                await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (ADMINS_LOCK,))
            stored = _stored(await _one(conn, f"SELECT {_STORED_COLUMNS} FROM users WHERE id = %s FOR UPDATE",
                                        (user_id,)))
            yield UserRowChange(conn, stored)

    # -- sign-in attempts ---------------------------------------------------------------

    @asynccontextmanager
    async def login_attempts(self, email_key: str) -> AsyncIterator[LoginAttemptRow]:
        async with self._pool.connection() as conn, conn.transaction():
            # Creates the row if needed and locks it either way: concurrent attempts for
            # one address queue here, so none is left uncounted.
            row = await _one(
                conn,
                """INSERT INTO login_attempts (email_key) VALUES (%s)
                   ON CONFLICT (email_key) DO UPDATE SET email_key = EXCLUDED.email_key
                   RETURNING failures, window_start, locked_until""",
                (email_key,),
            )
            yield LoginAttemptRow(conn, email_key, AttemptState(**row))

    async def clear_login_attempts(self, email_key: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM login_attempts WHERE email_key = %s", (email_key,))

    async def forget_spent(self, now: datetime, window: timedelta) -> tuple[int, int]:
        """Delete what can no longer matter: the attempt states lockout.spent calls spent
        (the same rule in SQL) and the sessions whose refresh token has expired, with their
        retired token ids. A sign-in holding a row waits here, and a row it renewed is
        kept. Returns (attempt rows, sessions) deleted."""
        async with self._pool.connection() as conn:
            attempts = await conn.execute(
                """DELETE FROM login_attempts
                   WHERE (window_start IS NULL OR window_start + %(window)s <= %(now)s)
                     AND (locked_until IS NULL OR locked_until <= %(now)s)""",
                {"now": now, "window": window})
            sessions = await conn.execute("DELETE FROM sessions WHERE expire_time < %s", (now,))
        return attempts.rowcount, sessions.rowcount

    # -- sessions -----------------------------------------------------------------------

    async def start_session(self, session: Session, now: datetime) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM sessions WHERE user_id = %s AND expire_time < %s", (session.user_id, now))
            await conn.execute(
                """INSERT INTO sessions (id, user_id, refresh_jti, access_jti, create_time, expire_time)
                   VALUES (%s, %s, %s, %s, %s, %s)""",
                (session.id, session.user_id, session.refresh_jti, session.access_jti, session.create_time,
                 session.expire_time),
            )

    async def rotate_session(self, user_id: str, refresh_jti: str, renewal: Renewal,
                             now: datetime) -> tuple[Rotation, User | None]:
        async with self._pool.connection() as conn, conn.transaction():
            # A concurrent refresh with the same jti waits here; once the first commits, the
            # jti is no longer current, so the second is treated as a reuse.
            session = await _one(
                conn,
                "SELECT id, user_id, access_jti, expire_time, revoke_time FROM sessions WHERE refresh_jti = %s FOR UPDATE",
                (refresh_jti,),
            )
            if session is None:
                return await self._revoke_if_retired(conn, user_id, refresh_jti, now), None
            if session["user_id"] != user_id or not is_live(session["expire_time"], session["revoke_time"], now):
                return Rotation.REFUSED, None
            user = _user(await _one(conn, f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,)))
            if user.locked:  # its sessions were revoked; this one started while it was being locked
                return Rotation.REFUSED, None
            cur = conn.cursor()
            await cur.executemany(
                "INSERT INTO retired_jtis (jti, session_id, kind) VALUES (%s, %s, %s)",
                [(refresh_jti, session["id"], "refresh"), (session["access_jti"], session["id"], "access")],
            )
            await conn.execute(
                "UPDATE sessions SET refresh_jti = %s, access_jti = %s, expire_time = %s WHERE id = %s",
                (renewal.refresh_jti, renewal.access_jti, renewal.expire_time, session["id"]),
            )
            return Rotation.ROTATED, user

    @staticmethod
    async def _revoke_if_retired(conn: AsyncConnection, user_id: str, refresh_jti: str, now: datetime) -> Rotation:
        retired = await _one(
            conn,
            """SELECT s.id FROM retired_jtis r JOIN sessions s ON s.id = r.session_id
               WHERE r.jti = %s AND r.kind = 'refresh' AND s.user_id = %s""",
            (refresh_jti, user_id),
        )
        if retired is None:
            return Rotation.REFUSED
        await conn.execute("UPDATE sessions SET revoke_time = coalesce(revoke_time, %s) WHERE id = %s",
                           (now, retired["id"]))
        return Rotation.REUSED

    async def revoke_session(self, user_id: str, jti: str, now: datetime) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                """UPDATE sessions SET revoke_time = %(now)s
                   WHERE user_id = %(user_id)s AND revoke_time IS NULL
                     AND (refresh_jti = %(jti)s OR access_jti = %(jti)s
                          OR id = (SELECT session_id FROM retired_jtis WHERE jti = %(jti)s))""",
                {"now": now, "user_id": user_id, "jti": jti},
            )

    async def live_session_user(self, user_id: str, jti: str, now: datetime) -> User | None:
        async with self._pool.connection() as conn:
            row = await _one(
                conn,
                """SELECT u.id, u.email, u.display_name, u.roles, u.create_time, u.update_time, u.lock_time,
                          u.lock_reason, s.expire_time AS session_expire_time, s.revoke_time AS session_revoke_time
                   FROM sessions s JOIN users u ON u.id = s.user_id
                   WHERE s.user_id = %(user_id)s AND (s.refresh_jti = %(jti)s OR s.access_jti = %(jti)s)""",
                {"user_id": user_id, "jti": jti},
            )
        if row is None or not is_live(row["session_expire_time"], row["session_revoke_time"], now):
            return None
        return _user(row)

    async def revoke_all_sessions(self, user_id: str, now: datetime) -> None:
        async with self._pool.connection() as conn:
            await _revoke_all_sessions(conn, user_id, now)
