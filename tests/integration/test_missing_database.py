"""A service whose database is missing on a reachable server (a compose data volume made
before the service existed: its init script ran once, before the service's database was in
it) creates it, as UTF8, and applies its migrations; a server it may not create databases
on leaves the old behaviour: the connection says what is wrong."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from service_runtime import db, schema

MIGRATIONS = db.MESSAGING_MIGRATIONS


def test_a_missing_database_is_created_and_migrated(postgres):
    name = f"missing_{uuid.uuid4().hex[:8]}"
    url = postgres.url(name)
    applied = schema.apply_migrations(url, MIGRATIONS)
    assert applied and all(migration.startswith("messaging-") for migration in applied)
    with psycopg.connect(url) as conn:
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
        assert conn.execute("SELECT to_regclass('outbox')").fetchone()[0] == "outbox"
    assert schema.apply_migrations(url, MIGRATIONS) == []  # a second start finds it


def test_without_the_right_to_create_one_the_connection_error_stands(postgres):
    role = f"nocreate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw' NOCREATEDB").format(sql.Identifier(role)))
    url = psycopg.conninfo.make_conninfo(postgres.url(f"absent_{uuid.uuid4().hex[:8]}"), user=role, password="pw")
    assert schema.ensure_database(url) is False
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        schema.apply_migrations(url, MIGRATIONS)
