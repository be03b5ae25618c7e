"""The transactional outbox and the idempotency record.

A service that announces a change writes the event to its `outbox` table in the same
transaction as the change (`enqueue`). The relay publishes unsent rows in id order with
publisher confirms and marks them sent only after the broker has confirmed them, so an
event is never lost: while RabbitMQ is away, rows wait and go out when it returns. A row
may be published twice (the broker confirmed, the mark did not commit), which consumers
absorb with `claim`: they record each event id in the same transaction as their
effect.

The relay is woken by PostgreSQL: a trigger (messaging-0002) NOTIFYs `outbox_rows` when
rows are added, and the relay LISTENs on a connection of its own, so an event leaves as
soon as its transaction commits. It still looks every `poll_seconds` (every
`idle_seconds` while it cannot listen), so a missed notification only delays."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aio_pika
import psycopg
from google.protobuf.message import Message
from prometheus_client import Gauge
from psycopg_pool import AsyncConnectionPool

from opentelemetry import trace

from service_runtime import jsonlog, messaging, periodic, topology, tracecontext, tracing

log = logging.getLogger("service_runtime.outbox")

CHANNEL = "outbox_rows"

BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet confirmed by the broker.")
OLDEST_AGE = Gauge("outbox_oldest_unsent_age_seconds",
                   "Age of the oldest outbox row not yet confirmed by the broker (0 when none waits).")


async def enqueue(conn, exchange: str, event: Message, *, traceparent: str | None = None) -> None:
    """Record an event for publication, inside the caller's transaction. The event's
    `event_id` becomes the message id. Its traceparent is the current span's when tracing
    is on (the relay publishes as that span's child), else the given one or one whose
    trace id is the current request id."""
    traceparent = (tracing.current_traceparent() or traceparent
                   or tracecontext.traceparent_for(jsonlog.request_id.get()))
    await conn.execute(
        """INSERT INTO outbox (exchange, message_type, event_id, body, traceparent)
           VALUES (%s, %s, %s, %s, %s)""",
        (exchange, event.DESCRIPTOR.full_name, event.event_id, event.SerializeToString(), traceparent),
    )


async def claim(conn, event_id: str, message_type: str) -> bool:
    """Record that this consumer acts on an event, inside the transaction of its effect.
    False when it already did (a redelivery): then the caller does nothing."""
    cur = await conn.execute(
        """INSERT INTO processed_events (event_id, message_type) VALUES (%s, %s)
           ON CONFLICT (event_id) DO NOTHING""",
        (event_id, message_type),
    )
    return cur.rowcount == 1


async def backlog(conn) -> tuple[int, float]:
    """How many rows wait to be confirmed, and the age in seconds of the oldest (0 when none)."""
    cur = await conn.execute(
        """SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
           FROM outbox WHERE sent_at IS NULL""")
    count, age = await cur.fetchone()
    return count, float(age)


# How long the broker gets to answer the relay (a connection, a channel, a declaration, a
# publish's confirm) before the relay drops that connection and makes another. A broker
# that goes silent without closing (overloaded as it starts, or a network that drops the
# connection's packets) is otherwise noticed only by the missed heartbeats, minutes later,
# and every event waits until then; a publish given up here is published again (consumers
# drop a repeated event by its id).
BROKER_TIMEOUT_SECONDS = 10.0


class OutboxRelay:
    """Publishes the outbox (see the module's docstring), and measures its backlog every
    `sample_seconds` whether or not the broker is there: an outage is when it matters."""

    def __init__(self, pool: AsyncConnectionPool, amqp_url: str, *, batch: int = 100, idle_seconds: float = 0.1,
                 poll_seconds: float = 1.0, sample_seconds: float = 2.0,
                 broker_timeout_seconds: float = BROKER_TIMEOUT_SECONDS):
        self._pool = pool
        self._url = amqp_url
        self._broker_timeout = broker_timeout_seconds
        self._batch = batch
        self._idle = idle_seconds
        self._poll = poll_seconds
        self._task: asyncio.Task | None = None
        self._listener: asyncio.Task | None = None
        self._listening = False
        self._rows_added = asyncio.Event()
        self._stopping = asyncio.Event()
        self._measuring = periodic.Periodic("outbox backlog", sample_seconds, self._measure)

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="outbox listener")
        self._task = asyncio.create_task(self._run(), name="outbox relay")
        await self._measuring.start()

    async def stop(self, grace: float = 10.0) -> None:
        self._stopping.set()
        self._rows_added.set()
        await self._measuring.stop(grace)
        if self._task:
            _done, pending = await asyncio.wait([self._task], timeout=grace)
            for task in pending:
                task.cancel()
        if self._listener:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    async def _listen(self) -> None:
        """Wake the relay whenever rows are added; listen again when the connection is lost."""
        while not self._stopping.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(
                        self._pool.conninfo, autocommit=True, **(self._pool.kwargs or {})) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening = True
                    self._rows_added.set()  # rows added before LISTEN are looked for at once
                    async for _note in conn.notifies():
                        self._rows_added.set()
            except Exception as exc:  # the database is away: poll meanwhile, listen again later
                log.debug("outbox listener: %r", exc)
                if self._listening:
                    log.warning("outbox notifications lost (%s); polling until they are back", exc.__class__.__name__)
                self._listening = False
                await self._sleep(messaging.RECONNECT_SECONDS)

    async def _wait_for_rows(self) -> None:
        """Until rows are announced, or the poll comes round."""
        try:
            await asyncio.wait_for(self._rows_added.wait(), self._poll if self._listening else self._idle)
        except asyncio.TimeoutError:
            pass

    async def _measure(self) -> None:
        """One sample of the backlog gauges (while the database is away they keep their last values)."""
        async with self._pool.connection() as conn:
            count, age = await backlog(conn)
        BACKLOG.set(count)
        OLDEST_AGE.set(age)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                connection = await aio_pika.connect(self._url, timeout=self._broker_timeout)
            except (aio_pika.exceptions.AMQPError, OSError, asyncio.TimeoutError) as exc:
                log.warning("cannot reach the broker (%s); events wait in the outbox", exc.__class__.__name__)
                await self._sleep(messaging.RECONNECT_SECONDS)
                continue
            try:
                async with connection:
                    channel = await self._answered(connection.channel(publisher_confirms=True))
                    exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
                    while not self._stopping.is_set():
                        self._rows_added.clear()  # before looking: rows added after it wake the wait
                        if await self.relay_batch(channel, exchanges) == 0:
                            await self._wait_for_rows()
            except (aio_pika.exceptions.AMQPError, OSError, asyncio.TimeoutError, RuntimeError) as exc:
                log.warning("lost the broker while publishing (%s); unconfirmed events stay in the outbox",
                            exc.__class__.__name__)
                await self._sleep(messaging.RECONNECT_SECONDS)
            except Exception:  # the database, most likely: try again, never stop relaying
                log.exception("outbox relay error; retrying")
                await self._sleep(messaging.RECONNECT_SECONDS)

    async def _sleep(self, seconds: float) -> None:
        await periodic.pause(self._stopping, seconds)

    async def _answered(self, call):
        """The broker's answer to call, or asyncio.TimeoutError after BROKER_TIMEOUT_SECONDS."""
        return await asyncio.wait_for(call, self._broker_timeout)

    async def _publish(self, exchange, message: aio_pika.Message) -> None:
        # With publisher confirms on, publish returns once the broker has the message. The
        # current span (the relay's publish) goes in the headers: the consumer's handling
        # is its child.
        if tracing.enabled():
            message.headers["traceparent"] = tracing.current_traceparent() or message.headers.get("traceparent")
        await exchange.publish(message, routing_key="", timeout=self._broker_timeout)

    async def relay_batch(self, channel, exchanges: dict) -> int:
        """Publish up to a batch of unsent rows, in order, each confirmed; then mark them
        sent in the same transaction that locked them. Returns how many were sent."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                """SELECT id, exchange, message_type, event_id, body, traceparent
                   FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                (self._batch,),
            )
            rows = await cur.fetchall()
            if not rows:
                return 0
            started = time.perf_counter()
            for _id, exchange_name, message_type, event_id, body, traceparent in rows:
                exchange = exchanges.get(exchange_name)
                if exchange is None:
                    for subscription in topology.subscriptions_of(exchange_name):
                        await self._answered(messaging.declare_subscription(channel, subscription))
                    exchange = exchanges[exchange_name] = await self._answered(
                        messaging.declare_exchange(channel, exchange_name))
                message = messaging.build_message(bytes(body), message_type=message_type, message_id=event_id,
                                                  traceparent=traceparent)
                if tracing.enabled():  # published in the trace of the request that wrote the row
                    with tracing.tracer(__name__).start_as_current_span(
                            f"outbox relay {exchange_name}", context=tracing.context_from(traceparent),
                            kind=trace.SpanKind.PRODUCER,
                            attributes={"messaging.message.id": event_id, "messaging.destination.name": exchange_name,
                                        "shop.message_type": message_type}):
                        await self._publish(exchange, message)
                else:
                    await self._publish(exchange, message)
            await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s)", ([r[0] for r in rows],))
            log.debug("relayed %d events in %.1f ms", len(rows), (time.perf_counter() - started) * 1000)
            return len(rows)
