"""Issue 13: on a database initialised without UTF8 (SQL_ASCII), psycopg sent text
parameters as bytea and every service crash-looped on its first migration with a
traceback. Now each service stops at once, before any migration, with one line that names
the database and its encoding, and exit code 2. (A UTF8 database starts as ever: every
other integration test runs on one.)"""
import os
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.support.net import free_port
from tests.support.services import REPO

SERVICES = ["catalogservice", "shippingservice", "paymentservice", "emailservice", "checkoutservice",
            "identityservice", "recommendationservice"]


@pytest.fixture
def sql_ascii_database(postgres) -> tuple[str, str]:
    """A fresh database in the session's private cluster, made the way an old initdb
    without --encoding made them."""
    name = f"legacy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'SQL_ASCII' TEMPLATE template0 "
                             "LC_COLLATE 'C' LC_CTYPE 'C'").format(sql.Identifier(name)))
    return name, postgres.url(name)


@pytest.mark.parametrize("module", SERVICES)
def test_a_service_on_a_sql_ascii_database_stops_at_once_with_one_clear_line(module, sql_ascii_database, tmp_path):
    name, url = sql_ascii_database
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",  # nothing listens: never reached
        "MAIL_DIR": str(tmp_path),
        "GRPC_PORT": str(free_port()), "HTTP_PORT": str(free_port()), "BIND_HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-m", module], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=30)
    took = time.monotonic() - started

    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert took < 15, f"{module} took {took:.1f}s to give up"
    assert finished.stderr.splitlines() == [
        f'{module}: database "{name}" has encoding SQL_ASCII; the shop needs UTF8 '
        "(create it with ENCODING 'UTF8', or initdb --encoding=UTF8)"
    ]
    assert "Traceback" not in finished.stdout + finished.stderr
    with psycopg.connect(url) as conn:  # stopped before the first migration: not even yoyo's tables
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    assert tables == 0
