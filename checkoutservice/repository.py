"""All order storage in PostgreSQL. Every change to an order is one transaction that
also writes the events announcing it to the outbox, and, for a change caused by an
event, the record that the event was handled.

Checkout attempts (migrations/0002, 0003) are here too: one is recorded before a checkout
takes anything, and the transaction that stores its order deletes it, so a stored order
and a live attempt never exist together. The sweeper claims an abandoned one (a lease,
not a held lock), and an attempt once claimed can no longer become an order."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Collection, Iterable

import psycopg
from google.protobuf.message import Message
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from service_runtime import outbox

from checkoutservice.errors import IllegalTransition, OrderNotFound
from checkoutservice.metrics import ORDER_VALUE, ORDERS
from checkoutservice.orders import Address, DiscountLine, Line, Order, Status

log = logging.getLogger("checkoutservice.repository")

# Events to write with a change: (exchange, protobuf event) pairs.
Events = Iterable[tuple[str, Message]]


class DuplicateRequest(Exception):
    """An order with this user's request id already exists."""


class OrderMoved(Exception):
    """The order changed between a caller's look and its change (repository.change's
    only_if): look again."""


class AttemptGone(Exception):
    """The order's checkout attempt was deleted before the order could be stored: the
    sweeper took it for abandoned and gave back what it held."""


@dataclass(frozen=True)
class Attempt:
    order_id: str
    user_id: str
    age_seconds: float


@dataclass(frozen=True)
class ClaimedAttempt:
    """An abandoned attempt a sweeper claimed until `claimed_until`. Nothing is locked while
    the sweeper gives back what it holds; no order can be stored for it any more (storing
    deletes only an attempt that was never claimed)."""

    attempt: Attempt
    order_exists: bool
    claimed_until: datetime


def _order(row: dict, lines: list[dict], discounts: list[dict] = ()) -> Order:
    address = row["address"]
    return Order(
        id=row["id"], user_id=row["user_id"], email=row["email"], status=Status(row["status"]),
        lines=tuple(Line(l["product_id"], l["name"], l["quantity"], l["unit_price"]) for l in lines),
        address=Address(address["name"], tuple(address["address_lines"]), address["city"], address["region"],
                        address["postal_code"], address["country_code"]),
        currency=row["currency"].strip(), shipping_cost=row["shipping_cost"], payment_id=row["payment_id"],
        status_reason=row["status_reason"], tracking_id=row["tracking_id"], request_id=row["request_id"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        times={k: row[k] for k in ("paid_at", "shipped_at", "cancelled_at", "refunded_at") if row[k]},
        discounts=tuple(DiscountLine(d["code"], d["description"], d["amount"]) for d in discounts),
    )


@dataclass(frozen=True)
class StatusChange:
    status: Status
    reason: str
    cause: str      # the lifecycle event's message type, or the call that asked
    at: datetime


async def _record_status(conn, order_id: str, status: Status, reason: str, cause: str,
                         at: datetime | None = None) -> None:
    await conn.execute(
        """INSERT INTO order_status_history (order_id, status, reason, cause, changed_at)
           VALUES (%s, %s, %s, %s, coalesce(%s, now()))""", (order_id, status.value, reason, cause, at))


class OrderRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def _load(self, cur, where: str, params: tuple, *, lock: bool = False) -> list[Order]:
        await cur.execute(f"SELECT * FROM orders WHERE {where}{' FOR UPDATE' if lock else ''}", params)
        rows = await cur.fetchall()
        if not rows:
            return []
        await cur.execute(
            "SELECT * FROM order_lines WHERE order_id = ANY(%s) ORDER BY order_id, position", ([r["id"] for r in rows],)
        )
        lines: dict[str, list[dict]] = {}
        for line in await cur.fetchall():
            lines.setdefault(line["order_id"], []).append(line)
        await cur.execute("SELECT * FROM order_discounts WHERE order_id = ANY(%s) ORDER BY order_id, position",
                          ([r["id"] for r in rows],))
        discounts: dict[str, list[dict]] = {}
        for discount in await cur.fetchall():
            discounts.setdefault(discount["order_id"], []).append(discount)
        return [_order(row, lines.get(row["id"], []), discounts.get(row["id"], [])) for row in rows]

    async def create(self, order: Order, events: Events) -> Order:
        """Store a new order and the events announcing it, in one transaction."""
        address = order.address
        try:
            async with self._pool.connection() as conn, conn.transaction():
                # First: an attempt a sweeper has claimed (or deleted) cannot become an order.
                cur = await conn.execute("DELETE FROM checkout_attempts WHERE order_id = %s AND claimed_until IS NULL",
                                         (order.id,))
                if cur.rowcount != 1:
                    raise AttemptGone(order.id)
                await conn.execute(
                    """INSERT INTO orders (id, user_id, email, status, currency, shipping_cost, address,
                                           payment_id, request_id)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (order.id, order.user_id, order.email, order.status.value, order.currency, order.shipping_cost,
                     Jsonb({"name": address.name, "address_lines": list(address.address_lines), "city": address.city,
                            "region": address.region, "postal_code": address.postal_code,
                            "country_code": address.country_code}),
                     order.payment_id, order.request_id),
                )
                async with conn.cursor() as cur:
                    await cur.executemany(
                        """INSERT INTO order_lines (order_id, position, product_id, name, quantity, unit_price)
                           VALUES (%s, %s, %s, %s, %s, %s)""",
                        [(order.id, i, l.product_id, l.name, l.quantity, l.unit_price) for i, l in enumerate(order.lines)],
                    )
                    if order.discounts:
                        await cur.executemany(
                            """INSERT INTO order_discounts (order_id, position, code, description, amount)
                               VALUES (%s, %s, %s, %s, %s)""",
                            [(order.id, i, d.code, d.description, d.amount) for i, d in enumerate(order.discounts)])
                await _record_status(conn, order.id, order.status, "", "PlaceOrder")
                for exchange, event in events:
                    await outbox.enqueue(conn, exchange, event)
        except psycopg.errors.UniqueViolation:
            raise DuplicateRequest(order.request_id) from None
        ORDERS.labels(order.status.value).inc()
        ORDER_VALUE.labels(order.currency).inc(float(order.total))
        return await self.get(order.id)

    async def record_attempt(self, order_id: str, user_id: str) -> None:
        """Note that a checkout for this order id is about to take stock and money."""
        async with self._pool.connection() as conn:
            await conn.execute("INSERT INTO checkout_attempts (order_id, user_id) VALUES (%s, %s)", (order_id, user_id))

    async def forget_attempt(self, order_id: str) -> None:
        """Delete an attempt whose checkout gave back all it took."""
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM checkout_attempts WHERE order_id = %s", (order_id,))

    async def attempt_open(self, order_id: str) -> bool:
        """Whether the attempt is still there: after a failed create, True means its order
        was not stored (the transaction that stores it deletes the attempt)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT EXISTS (SELECT 1 FROM checkout_attempts WHERE order_id = %s)",
                                     (order_id,))
            return (await cur.fetchone())[0]

    async def claim_abandoned_attempt(self, older_than: float, lease: float,
                                      passed: Collection[str] = ()) -> ClaimedAttempt | None:
        """Claim, for `lease` seconds, the oldest attempt older than `older_than` seconds
        that no sweeper holds a live claim on and that is not in `passed`, with whether its
        order exists; None when there is none. The transaction ends before this returns."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                """UPDATE checkout_attempts SET claimed_until = now() + make_interval(secs => %(lease)s)
                   WHERE order_id = (
                       SELECT order_id FROM checkout_attempts
                       WHERE created_at < now() - make_interval(secs => %(older_than)s)
                         AND (claimed_until IS NULL OR claimed_until < now()) AND NOT (order_id = ANY(%(passed)s))
                       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                   RETURNING order_id, user_id, extract(epoch FROM now() - created_at)::float8, claimed_until""",
                {"lease": lease, "older_than": older_than, "passed": list(passed)},
            )
            row = await cur.fetchone()
            if row is None:
                return None
            cur = await conn.execute("SELECT EXISTS (SELECT 1 FROM orders WHERE id = %s)", (row[0],))
            return ClaimedAttempt(Attempt(*row[:3]), (await cur.fetchone())[0], row[3])

    async def end_claim(self, claimed: ClaimedAttempt, *, forget: bool) -> bool:
        """Delete the claimed attempt (`forget`), or leave it for the next sweep, its claim
        expired at once. False if the claim was no longer this sweeper's (it outlived its
        lease and another took the attempt, or a checkout's undo deleted it)."""
        async with self._pool.connection() as conn:
            if forget:
                cur = await conn.execute("DELETE FROM checkout_attempts WHERE order_id = %s AND claimed_until = %s",
                                         (claimed.attempt.order_id, claimed.claimed_until))
            else:
                cur = await conn.execute(
                    "UPDATE checkout_attempts SET claimed_until = now() WHERE order_id = %s AND claimed_until = %s",
                    (claimed.attempt.order_id, claimed.claimed_until))
            return cur.rowcount == 1

    async def get(self, order_id: str, user_id: str | None = None) -> Order:
        """The order; OrderNotFound if there is none (or it is another user's)."""
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            found = await self._load(cur, "id = %s", (order_id,))
        if not found or (user_id is not None and found[0].user_id != user_id):
            raise OrderNotFound(order_id)
        return found[0]

    async def history(self, order_id: str) -> list[StatusChange]:
        """Each status the order reached, oldest first."""
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute("""SELECT status, reason, cause, changed_at FROM order_status_history
                                  WHERE order_id = %s ORDER BY changed_at, id""", (order_id,))
            return [StatusChange(Status(row["status"]), row["reason"], row["cause"], row["changed_at"])
                    for row in await cur.fetchall()]

    async def find_by_request(self, user_id: str, request_id: str) -> Order | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            found = await self._load(cur, "user_id = %s AND request_id = %s", (user_id, request_id))
        return found[0] if found else None

    async def list(self, *, user_id: str = "", status: Status | None = None, email: str = "",
                   placed_after: datetime | None = None, placed_before: datetime | None = None,
                   limit: int, offset: int) -> tuple[list[Order], int]:
        """Newest first, optionally one user's, one status, an email containing `email`
        (any case), placed at or after / before given times."""
        where = ("(%(user)s = '' OR user_id = %(user)s) AND (%(status)s = '' OR status = %(status)s)"
                 " AND (%(email)s = '' OR strpos(lower(email), %(email)s) > 0)"
                 " AND (%(after)s::timestamptz IS NULL OR created_at >= %(after)s)"
                 " AND (%(before)s::timestamptz IS NULL OR created_at < %(before)s)")
        params = {"user": user_id, "status": status.value if status else "", "email": email.lower(),
                  "after": placed_after, "before": placed_before, "limit": limit, "offset": offset}
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT id FROM orders WHERE {where} ORDER BY created_at DESC, id DESC "
                              "LIMIT %(limit)s OFFSET %(offset)s", params)
            ids = [r["id"] for r in await cur.fetchall()]
            await cur.execute(f"SELECT count(*) AS n FROM orders WHERE {where}", params)
            total = (await cur.fetchone())["n"]
            orders = {o.id: o for o in await self._load(cur, "id = ANY(%s)", (ids,))} if ids else {}
        return [orders[i] for i in ids], total

    async def change(self, order_id: str, change: Callable[[Order, datetime], Order | None],
                     events: Callable[[Order, Order], Events], *, user_id: str | None = None,
                     handled_event: tuple[str, str] | None = None,
                     only_if: Callable[[Order], bool] | None = None, cause: str = "") -> Order | None:
        """Apply change(order, now) under a row lock and store the result with its events.
        change returns None for "nothing to do". With handled_event (event id, type), the
        change happens at most once per event: a redelivery returns None.
        IllegalTransition propagates, and nothing is written but the handled-event record.
        `only_if(order)`, when given, is checked under the lock: when it is false the
        order moved since the caller looked, OrderMoved is raised and nothing is written.
        A change of status is kept in the order's history, caused by the handled event's
        type or else `cause` (the call that asked).
        Nothing here waits on another service while the lock is held."""
        async with self._pool.connection() as conn, conn.transaction():
            if handled_event and not await outbox.claim(conn, *handled_event):
                return None
            cur = conn.cursor(row_factory=dict_row)
            found = await self._load(cur, "id = %s", (order_id,), lock=True)
            if not found or (user_id is not None and found[0].user_id != user_id):
                raise OrderNotFound(order_id)
            before = found[0]
            if only_if is not None and not only_if(before):
                raise OrderMoved(order_id)
            now = datetime.now(timezone.utc)
            try:
                after = change(before, now)
            except IllegalTransition:
                if handled_event is None:
                    raise
                log.warning("refused an illegal transition", extra={"order_id": order_id, "event_id": handled_event[0],
                                                                     "status": before.status.value})
                return None
            if after is None:
                return before
            await conn.execute(
                """UPDATE orders SET status = %s, status_reason = %s, tracking_id = %s, updated_at = %s,
                          paid_at = %s, shipped_at = %s, cancelled_at = %s, refunded_at = %s
                   WHERE id = %s""",
                (after.status.value, after.status_reason, after.tracking_id, now,
                 *(after.times.get(k) for k in ("paid_at", "shipped_at", "cancelled_at", "refunded_at")), order_id),
            )
            if after.status != before.status:
                await _record_status(conn, order_id, after.status, after.status_reason,
                                     handled_event[1] if handled_event else cause, now)
            for exchange, event in events(before, after):
                await outbox.enqueue(conn, exchange, event)
        if after.status != before.status:
            ORDERS.labels(after.status.value).inc()
        return await self.get(order_id)
