"""All emailservice storage: the emails table in PostgreSQL, and the claim of each event
(service_runtime.outbox.claim) in the same transaction as its email. Every query is
parameterized."""
from __future__ import annotations

from datetime import datetime

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from service_runtime import outbox

from emailservice.errors import EmailNotFound
from emailservice.listing import ListQuery
from emailservice.notices import EmailKind
from emailservice.records import DeliveryState, EmailRecord

_COLUMNS = """id::text AS id, event_id, event_type, kind, order_id, sender, recipient, subject, message_id,
              text_body, html_body, created_at, state, attempts, sent_at"""

# Filters of ListSentEmails; an empty value (NULL) matches every email.
_SENT_MATCHING = """state = 'sent'
    AND (%(recipient)s::text IS NULL OR lower(recipient) = lower(%(recipient)s::text))
    AND (%(order_id)s::text IS NULL OR order_id = %(order_id)s::text)
    AND (%(kind)s::text IS NULL OR kind = %(kind)s::text)"""


def _record(row: dict) -> EmailRecord:
    return EmailRecord(
        id=row["id"], event_id=row["event_id"], event_type=row["event_type"], kind=EmailKind(row["kind"]),
        order_id=row["order_id"], sender=row["sender"], recipient=row["recipient"], subject=row["subject"],
        message_id=row["message_id"], text=row["text_body"], html=row["html_body"], created_at=row["created_at"],
        state=DeliveryState(row["state"]), attempts=row["attempts"], sent_at=row["sent_at"],
    )


class EmailRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def record(self, email: EmailRecord, *, lease_until: datetime) -> bool:
        async with self._pool.connection() as conn, conn.transaction():
            # Two deliveries of one event at once: the second waits here for the first
            # to commit, then finds the claim taken.
            if not await outbox.claim(conn, email.event_id, email.event_type):
                return False
            await conn.execute(
                """INSERT INTO emails (id, event_id, event_type, kind, order_id, sender, recipient, subject,
                                       message_id, text_body, html_body, created_at, state, next_attempt_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s)""",
                (email.id, email.event_id, email.event_type, email.kind.value, email.order_id, email.sender,
                 email.recipient, email.subject, email.message_id, email.text, email.html, email.created_at,
                 lease_until),
            )
            return True

    async def mark_sent(self, email_id: str, *, sent_at: datetime, attempts: int) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                """UPDATE emails SET state = 'sent', sent_at = %s, attempts = %s, next_attempt_at = NULL,
                                     last_error = NULL
                   WHERE id = %s AND state = 'pending'""",
                (sent_at, attempts, email_id),
            )

    async def schedule_retry(self, email_id: str, *, attempts: int, retry_at: datetime, error: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                """UPDATE emails SET attempts = %s, next_attempt_at = %s, last_error = %s
                   WHERE id = %s AND state = 'pending'""",
                (attempts, retry_at, error, email_id),
            )

    async def mark_failed(self, email_id: str, *, attempts: int, error: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                """UPDATE emails SET state = 'failed', attempts = %s, next_attempt_at = NULL, last_error = %s
                   WHERE id = %s AND state = 'pending'""",
                (attempts, error, email_id),
            )

    async def lease_due(self, now: datetime, *, lease_until: datetime, limit: int) -> list[EmailRecord]:
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            # SKIP LOCKED: replicas retrying at the same moment take different emails.
            await cur.execute(
                f"""UPDATE emails SET next_attempt_at = %s
                    WHERE id IN (SELECT id FROM emails
                                 WHERE state = 'pending' AND next_attempt_at <= %s
                                 ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)
                    RETURNING {_COLUMNS}""",
                (lease_until, now, limit),
            )
            return [_record(row) for row in await cur.fetchall()]

    async def list_sent(self, query: ListQuery) -> tuple[list[EmailRecord], int]:
        """Up to query.limit + 1 sent emails after the query's position, newest first, and
        how many match the filters over all pages."""
        params = {
            "recipient": query.recipient or None, "order_id": query.order_id or None,
            "kind": query.kind.value if query.kind else None, "limit": query.limit + 1,
            "after_time": query.after.sent_at if query.after else None,
            "after_id": query.after.email_id if query.after else None,
        }
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"""SELECT {_COLUMNS} FROM emails
                    WHERE {_SENT_MATCHING}
                      AND (%(after_time)s::timestamptz IS NULL
                           OR (sent_at, id) < (%(after_time)s::timestamptz, %(after_id)s::uuid))
                    ORDER BY sent_at DESC, id DESC
                    LIMIT %(limit)s""",
                params,
            )
            found = [_record(row) for row in await cur.fetchall()]
            await cur.execute(f"SELECT count(*) AS total FROM emails WHERE {_SENT_MATCHING}", params)
            total = (await cur.fetchone())["total"]
        return found, total

    async def get_sent(self, email_id: str) -> EmailRecord:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {_COLUMNS} FROM emails WHERE id = %s AND state = 'sent'", (email_id,))
            row = await cur.fetchone()
        if row is None:
            raise EmailNotFound(email_id)
        return _record(row)
