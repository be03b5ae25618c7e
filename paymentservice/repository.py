"""All payment storage: payments, refunds, and (through service_runtime.outbox) the
outbox and processed-events rows, in PostgreSQL. Every query is parameterized; a
PaymentTransaction is one database transaction."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from service_runtime import outbox, topology

from paymentservice import messages
from paymentservice.cards import CardBrand
from paymentservice.errors import DeclineReason
from paymentservice.payments import Payment, PaymentStatus, Refunded, Transition

_COLUMNS = """id, order_id, status, currency_code, amount, captured_amount, refunded_amount, card_brand,
              card_last4, decline_reason, capture_refusal, create_time, update_time, capture_time,
              void_time, refund_time"""


def _reason(name: str | None) -> DeclineReason | None:
    return DeclineReason[name] if name else None


def _payment(row: dict) -> Payment:
    return Payment(
        id=row["id"], order_id=row["order_id"], status=PaymentStatus[row["status"]],
        currency_code=row["currency_code"], amount=row["amount"], captured_amount=row["captured_amount"],
        refunded_amount=row["refunded_amount"], card_brand=CardBrand[row["card_brand"]],
        card_last4=row["card_last4"], decline_reason=_reason(row["decline_reason"]),
        capture_refusal=_reason(row["capture_refusal"]), create_time=row["create_time"],
        update_time=row["update_time"], capture_time=row["capture_time"], void_time=row["void_time"],
        refund_time=row["refund_time"],
    )


def _name(value) -> str | None:
    return value.name if value is not None else None


async def _fetch_payment(conn: AsyncConnection, query: str, params: tuple) -> Payment | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    row = await cur.fetchone()
    return _payment(row) if row else None


class PaymentTransaction:
    def __init__(self, conn: AsyncConnection, traceparent: str | None, new_event_id: Callable[[], str]):
        self._conn = conn
        self._traceparent = traceparent
        self._new_event_id = new_event_id

    async def claim(self, event_id: str, message_type: str) -> bool:
        return await outbox.claim(self._conn, event_id, message_type)

    async def lock_order(self, order_id: str) -> Payment | None:
        # Concurrent Authorize calls for one order queue here, so the second one finds the
        # first one's payment. (The unique index is the last line of defence.)
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"payment:{order_id}",))
        return await _fetch_payment(
            self._conn,
            f"SELECT {_COLUMNS} FROM payments WHERE order_id = %s AND status <> 'DECLINED' FOR UPDATE", (order_id,),
        )

    async def lock(self, payment_id: str) -> Payment | None:
        return await _fetch_payment(
            self._conn, f"SELECT {_COLUMNS} FROM payments WHERE id = %s FOR UPDATE", (payment_id,))

    async def add(self, payment: Payment) -> None:
        await self._conn.execute(
            f"""INSERT INTO payments ({_COLUMNS})
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (payment.id, payment.order_id, payment.status.name, payment.currency_code, payment.amount,
             payment.captured_amount, payment.refunded_amount, payment.card_brand.name, payment.card_last4,
             _name(payment.decline_reason), _name(payment.capture_refusal), payment.create_time,
             payment.update_time, payment.capture_time, payment.void_time, payment.refund_time),
        )

    async def save(self, transition: Transition) -> None:
        payment, event = transition.payment, transition.event
        await self._conn.execute(
            """UPDATE payments SET status = %s, captured_amount = %s, refunded_amount = %s, decline_reason = %s,
                                   update_time = %s, capture_time = %s, void_time = %s, refund_time = %s
               WHERE id = %s""",
            (payment.status.name, payment.captured_amount, payment.refunded_amount, _name(payment.decline_reason),
             payment.update_time, payment.capture_time, payment.void_time, payment.refund_time, payment.id),
        )
        if isinstance(event, Refunded):
            await self._conn.execute(
                "INSERT INTO refunds (payment_id, amount, reason, create_time) VALUES (%s, %s, %s, %s)",
                (payment.id, event.amount, event.reason, payment.update_time),
            )
        if event is not None:
            await outbox.enqueue(self._conn, topology.PAYMENT_EVENTS,
                                 messages.event_message(transition, self._new_event_id()),
                                 traceparent=self._traceparent)


class PaymentRepository:
    def __init__(self, pool: AsyncConnectionPool, *, new_event_id: Callable[[], str] = lambda: str(uuid.uuid4())):
        self._pool = pool
        self._new_event_id = new_event_id

    @asynccontextmanager
    async def transaction(self, *, traceparent: str | None = None) -> AsyncIterator[PaymentTransaction]:
        async with self._pool.connection() as conn, conn.transaction():
            yield PaymentTransaction(conn, traceparent, self._new_event_id)

    async def find(self, payment_id: str) -> Payment | None:
        async with self._pool.connection() as conn:
            return await _fetch_payment(conn, f"SELECT {_COLUMNS} FROM payments WHERE id = %s", (payment_id,))

    async def latest_for_order(self, order_id: str) -> Payment | None:
        async with self._pool.connection() as conn:
            return await _fetch_payment(
                conn, f"SELECT {_COLUMNS} FROM payments WHERE order_id = %s ORDER BY seq DESC LIMIT 1", (order_id,)
            )
