"""PostgreSQL plumbing: migrating at start (in a child process: service_runtime.schema),
the connection pool, its health check, and which errors mean "the database is down"."""
from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import weakref
from pathlib import Path
from typing import Callable

import grpc
import psycopg
import psycopg_pool

from service_runtime import tracing
from service_runtime.config import RuntimeConfig
from service_runtime.query_spans import TracedCursor
from service_runtime.startup import StartupError


# Errors that mean the database cannot be reached right now: callers get UNAVAILABLE.
UNAVAILABLE_ERRORS: dict[type[BaseException], grpc.StatusCode] = {
    psycopg.OperationalError: grpc.StatusCode.UNAVAILABLE,
    psycopg_pool.PoolTimeout: grpc.StatusCode.UNAVAILABLE,
}
# Errors that mean a value from the request cannot be stored or compared (text with a NUL
# character, which PostgreSQL's text refuses, say): callers get INVALID_ARGUMENT. Never
# transient: a retry would fail the same way.
DATA_ERRORS: dict[type[BaseException], grpc.StatusCode] = {
    psycopg.DataError: grpc.StatusCode.INVALID_ARGUMENT,
}


# The outbox and processed-events tables, for services that publish or consume events.
MESSAGING_MIGRATIONS = Path(__file__).parent / "migrations"


async def migrate_when_reachable(runtime: RuntimeConfig, database_url: str, *directories: Path,
                                 within: float = 60.0) -> None:
    """Apply the directories' migrations (service_runtime.schema) in a child process,
    retrying for `within` seconds while the database is still starting. Its log lines are
    the service's; a database the shop cannot use raises StartupError with the child's
    one-line reason. In a child, because yoyo and what it loads (~3 MB) would otherwise
    stay in the service's memory for good after one use."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service_runtime.schema", "--service", runtime.service_name,
        "--log-level", runtime.log_level, "--within", str(within), *(str(d) for d in directories),
        env={**os.environ, "DATABASE_URL": database_url}, stderr=asyncio.subprocess.PIPE)
    try:
        _, errors = await child.communicate()
    except BaseException:  # cancelled: the service stops, so does its migration
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        raise
    reason = errors.decode("utf-8", "replace").strip()
    if child.returncode == 2:
        raise StartupError(reason)
    if child.returncode != 0:
        sys.stderr.write(reason + "\n")
        raise RuntimeError(f"migrating the database failed (exit code {child.returncode})")


# A connection given back to the pool this recently is lent again without a ping: a
# ping is a round trip, as dear as many a call's one query. HikariCP skips its check the
# same way, within the same half second ("aliveBypassWindowMs").
RECENTLY_USED_SECONDS = 0.5


class RecentUse:
    """The pool's check and reset callbacks: a connection given back more than `window`
    seconds ago is pinged before it is lent again (a broken one is then replaced); one
    given back within it is not. A connection that broke while in use never comes back to
    be lent: the pool replaces it (its status is UNKNOWN)."""

    def __init__(self, window: float = RECENTLY_USED_SECONDS, clock: Callable[[], float] = time.monotonic,
                 ping=psycopg_pool.AsyncConnectionPool.check_connection):
        self._window, self._clock, self._ping = window, clock, ping
        self._given_back: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def check(self, conn) -> None:
        given_back = self._given_back.get(conn)
        if given_back is None or self._clock() - given_back >= self._window:
            await self._ping(conn)

    async def reset(self, conn) -> None:
        self._given_back[conn] = self._clock()


async def open_pool(database_url: str, *, max_size: int = 10, timeout: float = 3.0,
                    statement_timeout_ms: int = 5000) -> psycopg_pool.AsyncConnectionPool:
    """A pool whose connections are checked before use unless used a moment ago
    (RecentUse), so it recovers by itself after a database restart, and whose waits and
    statements are bounded (no call hangs); its queries are spans when tracing is on
    (service_runtime/query_spans.py)."""
    recent = RecentUse()
    pool = psycopg_pool.AsyncConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        timeout=timeout,
        open=False,
        check=recent.check,
        reset=recent.reset,
        kwargs={"connect_timeout": max(1, int(timeout)), "options": f"-c statement_timeout={statement_timeout_ms}",
                **({"cursor_factory": TracedCursor} if tracing.enabled() else {})},
        reconnect_timeout=0,  # keep trying for as long as the database is away
    )
    await pool.open(wait=False)
    return pool


def pool_check(pool: psycopg_pool.AsyncConnectionPool, *, timeout: float = 2.0):
    """A health check: the database answers a query through the pool."""

    async def check() -> None:
        async with pool.connection(timeout=timeout) as conn:
            await conn.execute("SELECT 1")

    return check
