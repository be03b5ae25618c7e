"""identityservice's housekeeping, in a process of its own that runs a round every second:
spent sign-in attempt states and expired sessions (with their retired token ids) are
deleted from PostgreSQL; attempt states that still count and live sessions are kept."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import psycopg
import pytest

from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, register, sign_in, unique_email
from tests.support.services import ServiceProcess, wait_until

WINDOW = timedelta(seconds=900)


@pytest.fixture(scope="module")
def housekept(postgres, artifacts_dir):
    database = f"identity_housekeeping_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([database])
    url = postgres.url(database)
    service = ServiceProcess("identityservice", {
        "DATABASE_URL": url, "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HOUSEKEEPING_SECONDS": "1", "LOGIN_FAILURE_WINDOW_SECONDS": str(int(WINDOW.total_seconds())),
    }, artifacts_dir / "identity-housekeeping.log").start(90)
    try:
        yield service, url
    finally:
        service.stop()


def test_spent_attempts_and_expired_sessions_go_and_the_rest_stays(housekept):
    service, url = housekept
    now = datetime.now(timezone.utc)
    attempts = {
        "spent-window": (3, now - WINDOW - timedelta(seconds=5), None),
        "spent-lock": (5, now - 2 * WINDOW, now - timedelta(seconds=5)),
        "in-window": (2, now - timedelta(seconds=30), None),
        "locked": (5, now - 2 * WINDOW, now + timedelta(hours=1)),
    }
    keys = {name: unique_email(name) for name in attempts}
    with grpc.insecure_channel(service.address) as channel:
        user = register(channel)
        expired, live = sign_in(channel, user.email), sign_in(channel, user.email)
    with psycopg.connect(url, autocommit=True) as conn:
        for name, (failures, window_start, locked_until) in attempts.items():
            conn.execute("INSERT INTO login_attempts VALUES (%s, %s, %s, %s)",
                         (keys[name], failures, window_start, locked_until))
        expired_session = conn.execute("SELECT id FROM sessions WHERE refresh_jti = %s",
                                       (expired.refresh_token.jti,)).fetchone()[0]
        conn.execute("UPDATE sessions SET expire_time = now() - interval '1 minute' WHERE id = %s",
                     (expired_session,))
        conn.execute("INSERT INTO retired_jtis VALUES (%s, %s, 'refresh')", (uuid.uuid4().hex, expired_session))

        def attempt_keys() -> set[str]:
            rows = conn.execute("SELECT email_key FROM login_attempts WHERE email_key = ANY(%s)",
                                (list(keys.values()),)).fetchall()
            return {row[0] for row in rows}

        wait_until(lambda: attempt_keys() == {keys["in-window"], keys["locked"]}, 15, "the spent attempt rows gone")
        sessions = {row[0] for row in conn.execute("SELECT refresh_jti FROM sessions WHERE user_id = %s",
                                                    (user.id,)).fetchall()}
        assert sessions == {live.refresh_token.jti}, "the expired session went, the live one stayed"
        assert conn.execute("SELECT count(*) FROM retired_jtis WHERE session_id = %s",
                            (expired_session,)).fetchone()[0] == 0, "its retired token ids with it"
