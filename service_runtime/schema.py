"""A service's database schema: its migrations (plain SQL files, applied once, in order,
by yoyo), the UTF8 check before them, and the database created when the server has none of
that name. Run as a child process at each start (db.migrate_when_reachable), so yoyo and
what it loads never stay in a service's memory."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import psycopg
import psycopg.conninfo
import psycopg.sql
from tenacity import Retrying, before_sleep_log, retry_if_exception_type, stop_after_delay, wait_exponential
from yoyo import get_backend, read_migrations

from service_runtime.jsonlog import configure_logging
from service_runtime.startup import StartupError

log = logging.getLogger("service_runtime.schema")


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


def migrate_when_reachable(database_url: str, *directories: Path, within: float = 60.0) -> list[str]:
    """Apply migrations, retrying while the database is still starting (not when it is
    reachable but unusable: DatabaseEncodingError stops the start at once)."""
    for attempt in Retrying(
        retry=retry_if_exception_type(psycopg.OperationalError),
        wait=wait_exponential(multiplier=0.2, max=2),
        stop=stop_after_delay(within),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            applied = apply_migrations(database_url, *directories)
    return applied


def main(argv: list[str] | None = None) -> None:
    """`python -m service_runtime.schema --service NAME DIRECTORY...`: migrate the database
    at $DATABASE_URL, logging as the service does; a database the shop cannot use exits
    with 2 and its one-line reason on stderr."""
    parser = argparse.ArgumentParser(prog="python -m service_runtime.schema")
    parser.add_argument("--service", required=True)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--within", type=float, default=60.0, help="seconds to wait for the database")
    parser.add_argument("directories", nargs="+", type=Path)
    args = parser.parse_args(argv)
    configure_logging(args.service, args.log_level)
    try:
        applied = migrate_when_reachable(os.environ["DATABASE_URL"], *args.directories, within=args.within)
    except StartupError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    log.info("migrations applied", extra={"applied": applied})


if __name__ == "__main__":
    main()
