"""A service migrates its database at start in a child process (service_runtime.schema),
so yoyo never stays in its memory: the child's log lines are the service's, what it
applied is there when the service goes on, and a database that cannot be reached within
the wait stops the start with the child's reason. (A database the shop cannot use, not
UTF8, stops it with one line: tests/integration/test_database_encoding.py, through every
service.)"""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import psycopg
import pytest

from service_runtime import db
from service_runtime.config import RuntimeConfig
from tests.support.net import free_port

RUNTIME = RuntimeConfig(service_name="paymentservice", grpc_port=0, http_port=0, bind_host="127.0.0.1",
                        log_level="INFO", shutdown_grace=1, health_interval=1, call_timeout=1)


def test_the_child_migrates_and_logs_as_the_service(postgres, capfd):
    url = postgres.url(f"migrated_{uuid.uuid4().hex[:8]}")
    asyncio.run(db.migrate_when_reachable(RUNTIME, url, db.MESSAGING_MIGRATIONS))

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('outbox')").fetchone()[0] == "outbox"
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    applied = [line for line in lines if line["message"] == "migrations applied"]
    assert len(applied) == 1 and applied[0]["service"] == "paymentservice"
    assert applied[0]["applied"] and all(m.startswith("messaging-") for m in applied[0]["applied"])

    asyncio.run(db.migrate_when_reachable(RUNTIME, url, db.MESSAGING_MIGRATIONS))  # the next start
    again = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    assert [line["applied"] for line in again if line["message"] == "migrations applied"] == [[]]


def test_a_database_that_never_answers_stops_the_start_with_the_reason(capfd):
    url = f"postgresql://shop@127.0.0.1:{free_port()}/payment"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"migrating the database failed \(exit code 1\)"):
        asyncio.run(db.migrate_when_reachable(RUNTIME, url, db.MESSAGING_MIGRATIONS, within=1.5))
    assert time.monotonic() - started < 15
    out, err = capfd.readouterr()
    assert "OperationalError" in err and "Connection refused" in err  # the child's reason, passed on
    retries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert retries and all(line["service"] == "paymentservice" and line["level"] == "WARNING" for line in retries)
