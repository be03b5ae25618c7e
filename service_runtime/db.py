"""PostgreSQL plumbing: migrations (plain SQL files, applied once, in order), the
connection pool, its health check, and which errors mean "the database is down"."""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from pathlib import Path
from typing import Callable

import grpc
import psycopg
import psycopg.conninfo
import psycopg.sql
import psycopg_pool
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, stop_after_delay, wait_exponential
from yoyo import get_backend, read_migrations

from service_runtime import tracing
from service_runtime.query_spans import TracedCursor
from service_runtime.startup import StartupError

log = logging.getLogger("service_runtime.db")

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


def _yoyo_url(database_url: str) -> str:
    scheme, sep, rest = database_url.partition("://")
    if not sep or scheme not in ("postgres", "postgresql"):
        raise ValueError("DATABASE_URL must start with postgresql://")
    return f"postgresql+psycopg://{rest}"


class DatabaseEncodingError(StartupError):
    """The database does not store text as UTF8. (psycopg then sends text parameters as
    bytea, and the first query with one fails: the migrations never get far.)"""


REQUIRED_ENCODING = "UTF8"

# The database's own encoding (what server_encoding reports), not the client's.
_ENCODING_QUERY = "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"


def encoding_problem(database: str, encoding: str) -> str | None:
    """What is wrong with a database of this encoding, in one line; None when it is UTF8."""
    if encoding.upper() == REQUIRED_ENCODING:
        return None
    return (f'database "{database}" has encoding {encoding}; the shop needs {REQUIRED_ENCODING} '
            f"(create it with ENCODING '{REQUIRED_ENCODING}', or initdb --encoding={REQUIRED_ENCODING})")


def check_encoding(database_url: str, *, connect_timeout: int = 10) -> None:
    """Raise DatabaseEncodingError unless the database is UTF8; OperationalError when it
    cannot be reached."""
    with psycopg.connect(database_url, connect_timeout=connect_timeout) as conn:
        (encoding,) = conn.execute(_ENCODING_QUERY).fetchone()
        database = conn.info.dbname
    if isinstance(encoding, bytes):  # a SQL_ASCII connection returns text as bytes
        encoding = encoding.decode("ascii", "replace")
    problem = encoding_problem(database, encoding)
    if problem:
        raise DatabaseEncodingError(problem)


# The outbox and processed-events tables, for services that publish or consume events.
MESSAGING_MIGRATIONS = Path(__file__).parent / "migrations"


def ensure_database(database_url: str, *, connect_timeout: int = 5) -> bool:
    """Create the service's database when the server has none of that name, as on a data
    volume made before the service existed (compose keeps volumes across upgrades). True
    when it was created. Asked through the server's `postgres` database with the service's
    own credentials; when that cannot be done (no such access, no CREATEDB), nothing
    happens here, and connecting to the database says what is wrong as before."""
    name = psycopg.conninfo.conninfo_to_dict(database_url).get("dbname")
    if not name or name == "postgres":
        return False
    maintenance = psycopg.conninfo.make_conninfo(database_url, dbname="postgres")
    try:
        with psycopg.connect(maintenance, connect_timeout=connect_timeout, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return False
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                psycopg.sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:  # a replica starting at the same time made it
        return False
    except psycopg.Error:
        return False
    log.warning("created the missing database", extra={"database": name})
    return True


def apply_migrations(database_url: str, *directories: Path) -> list[str]:
    """Apply the directories' not-yet-applied .sql files, directory by directory, each in
    name order; return their ids. yoyo takes a lock, so replicas starting together apply
    each file once. A missing database is created first (ensure_database); one that is not
    UTF8 is refused before anything is applied."""
    ensure_database(database_url)
    check_encoding(database_url)
    backend = get_backend(_yoyo_url(database_url))
    migrations = read_migrations(*(str(d) for d in directories))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


async def migrate_when_reachable(database_url: str, *directories: Path, within: float = 60.0) -> None:
    """Apply migrations, retrying while the database is still starting (not when it is
    reachable but unusable: DatabaseEncodingError stops the start at once)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(psycopg.OperationalError),
        wait=wait_exponential(multiplier=0.2, max=2),
        stop=stop_after_delay(within),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            applied = await asyncio.to_thread(apply_migrations, database_url, *directories)
    log.info("migrations applied", extra={"applied": applied})


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
