"""RabbitMQ plumbing shared by every service that publishes or consumes events.

Topology, declared by code at start so a fresh broker needs no set-up: one durable
fanout exchange per producer (`checkout.events`, ...), and for each consuming service
and exchange a durable quorum queue (`payment.checkout-events`) with a delivery limit
and its own dead-letter queue (`payment.checkout-events.dlq`).

Messages: the body is the serialized protobuf event; `content_type`
application/x-protobuf, `type` the event's full name, `message_id` its event_id,
persistent, and the W3C `traceparent` in the headers. Consumers ack manually, after
their effect is committed.

What dead-letters a message is its own fault, never an outage or a restart:
- one that cannot be parsed, or that its handler calls Unprocessable: at once;
- one whose handler fails FAILURE_LIMIT times (each retried in place, after a pause);
- a failure that says a dependency is away is retried in place for as long as the
  outage lasts, and counts for nothing.
The consumer publishes a dead letter itself, with the reason in its headers
(`x-shop-dead-letter-reason`), then acks the original; `python -m
service_runtime.dead_letters` lists and replays them. The broker's own delivery count
(quorum queues count every return: a consumer stopped, killed or cut off with the message
in hand) only guards against a message that keeps killing its consumer: RETURN_LIMIT
returns dead-letter it (reason `delivery_limit` in `x-death`)."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Awaitable, Callable, Mapping

import aio_pika
import grpc
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from google.protobuf.message import DecodeError, Message
from opentelemetry import trace

from service_runtime import db, fault_flags, jsonlog, tracecontext, tracing
from service_runtime.keylocks import KeyLocks
from service_runtime.metrics import MESSAGE_SECONDS, MESSAGES

log = logging.getLogger("service_runtime.messaging")

CONTENT_TYPE = "application/x-protobuf"
FAILURE_LIMIT = 5
RETURN_LIMIT = 20
REASON_HEADER = "x-shop-dead-letter-reason"
FROM_HEADER = "x-shop-dead-lettered-from"
# Messages a consumer handles at once. An order's events are published in order and are
# still handled one after another, in queue order (a lock per order id, KeyLocks); only
# different orders' events overlap. Each handling may hold a pooled database connection.
PREFETCH = 4
RECONNECT_SECONDS = 2.0
# A broker that takes the TCP connection but not the AMQP handshake (one still starting)
# must not hold a consumer's first connection for good: the attempt ends and is made again.
CONNECT_TIMEOUT_SECONDS = 15.0
# How often a consumer looks whether the consumerPaused fault flag names it.
PAUSE_CHECK_SECONDS = 0.5
# A failed handling waits before it is tried again (0.5 s, 1 s, 2 s, ... up to 10 s).
RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 10.0


class Unprocessable(Exception):
    """Raised by a handler for an event that can never be handled (it parsed, but makes
    no sense): the message goes to the dead-letter queue at once, without retries."""


def retry_delay(attempt: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** max(attempt, 0), RETRY_MAX_SECONDS)


def is_transient(exc: BaseException) -> bool:
    """A failure that says a dependency is away (the database, another service), not that
    the message is bad. Such a message is retried in place, however long the outage:
    it never counts against the failure limit, so an outage never dead-letters it."""
    if isinstance(exc, tuple(db.UNAVAILABLE_ERRORS)) or isinstance(exc, (OSError, asyncio.TimeoutError)):
        return True
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() in (
        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


@dataclass(frozen=True)
class Subscription:
    """A consuming service's queue on a producer's exchange."""

    consumer: str   # e.g. "payment"
    exchange: str   # e.g. "checkout.events"

    @property
    def queue(self) -> str:
        return f"{self.consumer}.{self.exchange.replace('.', '-')}"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"


@dataclass(frozen=True)
class Delivery:
    """What a handler may want to know about the message beside its event."""

    message_id: str
    message_type: str
    traceparent: str | None
    redelivered: bool


# A handler gets the parsed event; it returns once its effect is committed.
Handler = Callable[[Message, Delivery], Awaitable[None]]


async def declare_exchange(channel: aio_pika.abc.AbstractChannel, name: str) -> aio_pika.abc.AbstractExchange:
    return await channel.declare_exchange(name, aio_pika.ExchangeType.FANOUT, durable=True)


def queue_arguments(subscription: Subscription) -> dict:
    return {"x-queue-type": "quorum", "x-delivery-limit": RETURN_LIMIT,
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": subscription.dead_letter_queue}


async def declare_subscription(channel: aio_pika.abc.AbstractChannel,
                               subscription: Subscription) -> aio_pika.abc.AbstractQueue:
    """The exchange, the queue bound to it and its dead-letter queue. A queue that exists
    with other arguments (an older version's) is used as it is, with a warning: a queue's
    arguments cannot change, and deleting it would lose its messages. The channel is
    reopened after the refusal, so settings made on it before (QoS) are gone."""
    exchange = await declare_exchange(channel, subscription.exchange)
    await channel.declare_queue(subscription.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"})
    try:
        queue = await channel.declare_queue(subscription.queue, durable=True, arguments=queue_arguments(subscription))
    except aio_pika.exceptions.ChannelPreconditionFailed as exc:
        log.warning("the queue exists with other arguments (an older version's); it is used as it is. To take "
                    "the new ones (%s), let it drain, delete it and start the consumer again: %s",
                    queue_arguments(subscription), exc, extra={"queue": subscription.queue})
        await channel.reopen()
        exchange = await declare_exchange(channel, subscription.exchange)
        queue = await channel.declare_queue(subscription.queue, passive=True)
    await queue.bind(exchange)
    return queue


def build_message(body: bytes, *, message_type: str, message_id: str, traceparent: str | None) -> aio_pika.Message:
    return aio_pika.Message(
        body,
        content_type=CONTENT_TYPE,
        type=message_type,
        message_id=message_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers={"traceparent": traceparent} if traceparent else {},
    )


# What dead-lettering adds to a message (the broker's and ours).
_DEAD_LETTERING_HEADERS = ("x-death", "x-first-death", "x-last-death", "x-delivery-count", REASON_HEADER, FROM_HEADER)


def resent(message: AbstractIncomingMessage, headers: Mapping[str, object] | None = None, *,
           timestamp: datetime | None = None) -> aio_pika.Message:
    """The message as it first came (nothing dead-lettering added), to publish again, with
    `headers` added: to its dead-letter queue, or back to its queue when replayed."""
    kept = {key: value for key, value in (message.headers or {}).items() if not key.startswith(_DEAD_LETTERING_HEADERS)}
    return aio_pika.Message(message.body, content_type=message.content_type, type=message.type,
                            message_id=message.message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            timestamp=timestamp, headers={**kept, **(headers or {})})


class Consumer:
    """Consumes one subscription, dispatching on the message type. Types with no handler
    are acked and ignored: a fanout queue receives every type its exchange carries."""

    def __init__(self, amqp_url: str, subscription: Subscription,
                 handlers: Mapping[type[Message], Handler], *, prefetch: int = PREFETCH):
        self._url = amqp_url
        self.subscription = subscription
        self._handlers = {cls.DESCRIPTOR.full_name: (cls, handler) for cls, handler in handlers.items()}
        self._prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._task: asyncio.Task | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._one_per_order = KeyLocks()
        self._consuming: tuple[aio_pika.abc.AbstractQueue, str] | None = None
        self._pause_watch: asyncio.Task | None = None
        self._stopping = False
        self.connected = asyncio.Event()

    async def start(self) -> None:
        """Begin consuming in the background; keeps trying while the broker is away."""
        self._task = asyncio.create_task(self._connect(), name=f"consume {self.subscription.queue}")

    async def _connect(self) -> None:
        while True:
            connection = None
            try:
                connection = await aio_pika.connect_robust(self._url, reconnect_interval=RECONNECT_SECONDS,
                                                           timeout=CONNECT_TIMEOUT_SECONDS)
                channel = self._channel = await connection.channel()
                queue = await declare_subscription(channel, self.subscription)
                await channel.set_qos(prefetch_count=self._prefetch)
                if not fault_flags.pauses(self.subscription.consumer):
                    self._consuming = (queue, await queue.consume(self._on_message))
                self._connection = connection
                self.connected.set()
                log.info("consuming", extra={"queue": self.subscription.queue})
                self._pause_watch = asyncio.create_task(self._follow_pause_flag(queue),
                                                        name=f"pause flag of {self.subscription.queue}")
                return
            except (aio_pika.exceptions.AMQPError, OSError, asyncio.TimeoutError) as exc:
                if connection is not None:  # connected, but the set-up failed: do not leak it
                    await connection.close()
                if isinstance(exc, aio_pika.exceptions.ChannelPreconditionFailed):
                    log.error("the broker refuses this queue's declaration (it exists with other arguments): %s",
                              exc, extra={"queue": self.subscription.queue})
                else:
                    log.warning("cannot reach the broker yet (%s); retrying", exc.__class__.__name__,
                                extra={"queue": self.subscription.queue})
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _follow_pause_flag(self, queue: aio_pika.abc.AbstractQueue) -> None:
        """The consumerPaused fault flag: while it names this consumer, take no messages
        (they wait in the queue, and its depth shows it); take them again after."""
        what = f"{self.subscription.queue} takes no messages"
        while not self._stopping:
            paused = fault_flags.pauses(self.subscription.consumer)
            try:
                if paused and self._consuming is not None:
                    _, tag = self._consuming
                    await asyncio.wait_for(queue.cancel(tag), timeout=2)
                    self._consuming = None
                    fault_flags.applied("consumerPaused", what)
                elif not paused and self._consuming is None:
                    self._consuming = (queue, await asyncio.wait_for(queue.consume(self._on_message), timeout=2))
                    log.warning("consuming again: the consumerPaused fault flag no longer names this consumer",
                                extra={"queue": self.subscription.queue})
            except (aio_pika.exceptions.AMQPError, OSError, RuntimeError, asyncio.TimeoutError) as exc:
                log.warning("cannot follow the consumerPaused flag while the broker is away (%s)",
                            exc.__class__.__name__, extra={"queue": self.subscription.queue})
            await asyncio.sleep(PAUSE_CHECK_SECONDS)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # A lost connection cancels this callback. The handling runs on in a task of its
        # own, so an effect is never cut short halfway (an email recorded but not handed
        # over); its acknowledgement is lost with the connection, and the redelivery finds
        # the work done.
        task = asyncio.create_task(self._handle_to_the_end(message))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.shield(task)

    async def _handle_to_the_end(self, message: AbstractIncomingMessage) -> None:
        try:
            await self._handle(message)
        except (aio_pika.exceptions.AMQPError, RuntimeError) as exc:
            # The connection went while this message was handled (a closed channel is a
            # RuntimeError): it comes again.
            log.warning("the broker's connection was lost before the message was settled (%s); it will be "
                        "delivered again", exc.__class__.__name__,
                        extra={"queue": self.subscription.queue, "message_id": message.message_id})

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        queue, message_type = self.subscription.queue, message.type or ""
        if message.content_type != CONTENT_TYPE or not message_type or not message.message_id:
            return await self._dead_letter(message, "not a protobuf event (content_type, type and message_id are required)")
        entry = self._handlers.get(message_type)
        if entry is None:
            await message.ack()
            MESSAGES.labels(queue, "other", "ignored").inc()  # not the raw type: labels stay bounded
            return
        event_class, handler = entry
        try:
            event = event_class.FromString(message.body)
        except DecodeError:
            return await self._dead_letter(message, f"the body does not parse as {message_type}")
        if getattr(event, "event_id", "") != message.message_id:
            return await self._dead_letter(message, "the event's event_id does not match the message_id")
        traceparent = (message.headers or {}).get("traceparent")
        # Nothing above waited, so messages take their place in the order's line in the
        # order they arrived (every event carries its order_id).
        async with self._one_per_order.hold(getattr(event, "order_id", "") or message.message_id):
            if tracing.enabled():
                return await self._handle_traced(message, message_type, handler, event, traceparent)
            await self._handle_with_request_id(message, message_type, handler, event, traceparent)

    async def _handle_traced(self, message: AbstractIncomingMessage, message_type: str, handler: Handler,
                             event: Message, traceparent: str | None) -> None:
        """Handle the event in a span that continues the message's trace: a child of the
        span the traceparent header names (the relay's publish)."""
        with tracing.tracer(__name__).start_as_current_span(
                f"{self.subscription.queue} process {message_type}", context=tracing.context_from(traceparent),
                kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.destination.name": self.subscription.queue,
                            "messaging.message.id": message.message_id, "shop.message_type": message_type}):
            await self._handle_with_request_id(message, message_type, handler, event,
                                               tracing.current_traceparent() or traceparent)

    async def _handle_with_request_id(self, message: AbstractIncomingMessage, message_type: str, handler: Handler,
                                      event: Message, traceparent: str | None) -> None:
        delivery = Delivery(message.message_id, message_type, traceparent, bool(message.redelivered))
        # The event's trace id becomes this handling's request id: log lines, and the
        # events the handler causes, carry the id of the request that started it all.
        token = jsonlog.request_id.set(tracecontext.trace_id_of(traceparent) or message.message_id.replace("-", ""))
        try:
            await self._handle_event(message, message_type, handler, event, delivery)
        finally:
            jsonlog.request_id.reset(token)

    async def _handle_event(self, message: AbstractIncomingMessage, message_type: str, handler: Handler,
                            event: Message, delivery: Delivery) -> None:
        queue = self.subscription.queue
        started = time.perf_counter()
        try:
            outage, failures = 0, 0
            while True:
                try:
                    await handler(event, delivery)
                    break
                except Unprocessable as exc:
                    return await self._dead_letter(message, str(exc))
                except Exception as exc:
                    if self._stopping:  # back to the queue, for the next consumer
                        return await self._give_back(message, message_type, exc)
                    if is_transient(exc):
                        log.warning("a dependency is away (%s); retrying the message in place",
                                    exc.__class__.__name__,
                                    extra={"queue": queue, "message_id": message.message_id, "attempt": outage})
                        await asyncio.sleep(retry_delay(outage))
                        outage += 1
                        continue
                    failures += 1
                    MESSAGES.labels(queue, message_type, "failed").inc()
                    log.error("handling failed (%d of %d)", failures, FAILURE_LIMIT, exc_info=exc,
                              extra={"queue": queue, "message_id": message.message_id, "type": message_type})
                    if failures >= FAILURE_LIMIT:
                        return await self._dead_letter(
                            message, f"failed {failures} times; last: {exc.__class__.__name__}: {exc}")
                    await asyncio.sleep(retry_delay(failures - 1))
            await message.ack()
            MESSAGES.labels(queue, message_type, "handled").inc()
        finally:
            MESSAGE_SECONDS.labels(queue, message_type).observe(time.perf_counter() - started)

    async def _give_back(self, message: AbstractIncomingMessage, message_type: str, error: BaseException) -> None:
        """Stopping with the message unhandled: it goes back to the queue now (the broker
        counts the return, against RETURN_LIMIT, not against the message's failures)."""
        log.warning("stopping: the message goes back to the queue (%s)", error.__class__.__name__,
                    extra={"queue": self.subscription.queue, "message_id": message.message_id, "type": message_type})
        await message.nack(requeue=True)

    async def _dead_letter(self, message: AbstractIncomingMessage, why: str) -> None:
        """Publish the message to the dead-letter queue with its reason (confirmed), then ack
        it. Cut off in between, it is delivered again and dead-lettered again: a replay of
        either copy has its effect once, as every handler is idempotent by event id."""
        queue = self.subscription.queue
        log.warning("dead-lettering a message: %s", why, extra={
            "queue": queue, "message_id": message.message_id, "type": message.type,
        })
        copy = resent(message, {REASON_HEADER: why[:1000], FROM_HEADER: queue}, timestamp=datetime.now(timezone.utc))
        await self._channel.default_exchange.publish(copy, routing_key=self.subscription.dead_letter_queue)
        await message.ack()
        known = message.type if message.type in self._handlers else "other"
        MESSAGES.labels(queue, known, "dead_lettered").inc()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking messages and let the ones being handled finish (unacked ones come
        back to the queue for another consumer)."""
        self._stopping = True
        if self._task:
            self._task.cancel()
        if self._pause_watch:
            self._pause_watch.cancel()
        if self._consuming:
            queue, tag = self._consuming
            try:  # a robust channel waits for an absent broker forever: bound it
                await asyncio.wait_for(queue.cancel(tag), timeout=2)
            except (aio_pika.exceptions.AMQPError, OSError, RuntimeError, asyncio.TimeoutError):
                pass  # the broker is away: nothing more will arrive anyway
        if self._in_flight:
            await asyncio.wait(list(self._in_flight), timeout=grace)
        if self._connection:
            try:
                await asyncio.wait_for(self._connection.close(), timeout=2)
            except (aio_pika.exceptions.AMQPError, OSError, RuntimeError, asyncio.TimeoutError):
                pass
