"""Dead letters, from the operator's side, against a real RabbitMQ and PostgreSQL: a message
that kept failing while something it needs was wrong is dead-lettered with its reason;
`python -m service_runtime.dead_letters list` shows it; once the cause is fixed, `replay`
puts it back on its queue and its effect happens exactly once, even when a crash left two
copies in the dead-letter queue. And a queue an older version declared with other
arguments is used as it is."""
import asyncio
import os
import subprocess
import sys
import uuid

import aio_pika
import psycopg
import pytest

from service_runtime import db, messaging, outbox, schema
from service_runtime.messaging import Consumer, Delivery, Subscription
from shop.checkout.v1 import events_pb2

SUBSCRIPTION = Subscription("replay-test", "replay-test.events")


@pytest.fixture
def amqp_url(rabbitmq):
    with rabbitmq.vhost(f"dead-letters-{uuid.uuid4().hex[:8]}") as url:
        yield url


@pytest.fixture
def database_url(postgres):
    name = f"dead_letters_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    url = postgres.url(name)
    schema.apply_migrations(url, db.MESSAGING_MIGRATIONS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE effects (event_id text NOT NULL)")
    return url


def operator(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service_runtime.dead_letters", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "AMQP_URL": url})


async def _publish(url: str, event) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await messaging.declare_subscription(channel, SUBSCRIPTION)
        exchange = await messaging.declare_exchange(channel, SUBSCRIPTION.exchange)
        await exchange.publish(messaging.build_message(
            event.SerializeToString(), message_type=event.DESCRIPTOR.full_name, message_id=event.event_id,
            traceparent=None), routing_key="")


async def _copy_a_dead_letter(url: str) -> None:
    """What a consumer cut off between publishing a dead letter and acking the original
    leaves: the same dead letter twice."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(SUBSCRIPTION.dead_letter_queue, passive=True)
        message = await queue.get(no_ack=False)
        copy = aio_pika.Message(message.body, content_type=message.content_type, type=message.type,
                                message_id=message.message_id, headers=dict(message.headers),
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await channel.default_exchange.publish(copy, routing_key=SUBSCRIPTION.dead_letter_queue)
        await message.nack(requeue=True)


async def _until(predicate, seconds: float, what: str) -> None:
    for _ in range(int(seconds / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def test_a_message_dead_lettered_while_its_cause_lasted_is_replayed_once_after_it(amqp_url, database_url,
                                                                                  monkeypatch):
    monkeypatch.setattr(messaging, "RETRY_BASE_SECONDS", 0.01)
    broken = [True]
    event = events_pb2.OrderPlaced(event_id=f"evt-{uuid.uuid4().hex[:12]}", order_id="o-replay")

    async def scenario() -> None:
        pool = await db.open_pool(database_url, max_size=2)

        async def handle(event, delivery: Delivery) -> None:
            if broken[0]:  # an answer, not an outage: the message's own failure
                raise LookupError("the order is not known here yet")
            async with pool.connection() as conn, conn.transaction():
                if await outbox.claim(conn, event.event_id, delivery.message_type):
                    await conn.execute("INSERT INTO effects (event_id) VALUES (%s)", (event.event_id,))

        async def effects() -> list:
            async with pool.connection() as conn:
                return await (await conn.execute("SELECT event_id FROM effects")).fetchall()

        consumer = Consumer(amqp_url, SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
        await consumer.start()
        try:
            await _publish(amqp_url, event)

            async def dead_lettered() -> bool:
                listed = await asyncio.to_thread(operator, amqp_url, "list", "--queue", SUBSCRIPTION.dead_letter_queue)
                return event.event_id in listed.stdout
            await _until(dead_lettered, 20, "the message dead-lettered")
            listed = await asyncio.to_thread(operator, amqp_url, "list", "--queue", SUBSCRIPTION.dead_letter_queue)
            assert listed.returncode == 0, listed.stderr
            assert f"{SUBSCRIPTION.dead_letter_queue}: 1 message" in listed.stdout
            assert "shop.checkout.v1.OrderPlaced" in listed.stdout
            assert (f"from {SUBSCRIPTION.queue}: failed {messaging.FAILURE_LIMIT} times; "
                    "last: LookupError: the order is not known here yet") in listed.stdout
            assert await effects() == []

            broken[0] = False  # the cause is fixed; and a crash had left the dead letter twice
            await _copy_a_dead_letter(amqp_url)
            replayed = await asyncio.to_thread(operator, amqp_url, "replay", "--queue",
                                               SUBSCRIPTION.dead_letter_queue, "--all")
            assert replayed.returncode == 0, replayed.stderr
            assert "2 replayed" in replayed.stdout and f"to {SUBSCRIPTION.queue}" in replayed.stdout

            async def handled() -> bool:
                return await effects() == [(event.event_id,)]
            await _until(handled, 20, "the replayed message's effect")
            await asyncio.sleep(1)  # the second copy has come and gone by now
            assert await effects() == [(event.event_id,)], "exactly once"
        finally:
            await consumer.stop()
            await pool.close()
        listed = await asyncio.to_thread(operator, amqp_url, "list", "--queue", SUBSCRIPTION.dead_letter_queue)
        assert f"{SUBSCRIPTION.dead_letter_queue}: 0 messages" in listed.stdout
        missing = await asyncio.to_thread(operator, amqp_url, "replay", "--queue", SUBSCRIPTION.dead_letter_queue,
                                          "--message-id", "no-such-message")
        assert missing.returncode == 1 and "not in" in missing.stderr

    asyncio.run(scenario())


def test_list_covers_every_subscriptions_dead_letter_queue(amqp_url):
    listed = operator(amqp_url, "list")
    assert listed.returncode == 0, listed.stderr
    assert "payment.checkout-events.dlq: 0 messages" in listed.stdout
    assert "checkout.shipping-events.dlq: 0 messages" in listed.stdout


def test_a_queue_declared_by_an_older_version_is_used_as_it_is(amqp_url, caplog):
    """Its arguments (a delivery limit of 5) cannot change; the consumer warns and consumes."""
    handled = []

    async def handle(event, delivery: Delivery) -> None:
        handled.append(event.event_id)

    async def scenario() -> None:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.declare_queue(SUBSCRIPTION.queue, durable=True, arguments={
                **messaging.queue_arguments(SUBSCRIPTION), "x-delivery-limit": 5})
        consumer = Consumer(amqp_url, SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
        await consumer.start()
        try:
            await asyncio.wait_for(consumer.connected.wait(), 10)
            await _publish(amqp_url, events_pb2.OrderPlaced(event_id="through-an-old-queue", order_id="o-old"))

            async def done() -> bool:
                return handled == ["through-an-old-queue"]
            await _until(done, 10, "the event handled")
        finally:
            await consumer.stop()

    asyncio.run(scenario())
    assert any("exists with other arguments" in record.getMessage() for record in caplog.records)
