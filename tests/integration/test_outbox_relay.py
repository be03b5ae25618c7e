"""The outbox relay is woken by PostgreSQL: an event leaves as soon as its transaction
commits, not at the next poll (the poll here is 30 s, so only the notification can be
quick); when its listening connection is cut, it listens again and stays quick; and when
the broker goes silent on its connection without closing it, it connects again within
its broker timeout instead of waiting minutes for the heartbeats."""
import asyncio
import time
import urllib.parse
import uuid

import aio_pika
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from service_runtime import db, messaging, outbox, schema, topology
from shop.checkout.v1 import events_pb2
from tests.support.services import wait_until
from tests.support.tcp_proxy import FreezingProxy

QUICK = 0.5  # seconds from commit to the consumer's queue, far below the 30 s poll


@pytest.fixture(scope="module")
def database(postgres):
    postgres.create_databases(["outbox_relay"])
    url = postgres.url("outbox_relay")
    schema.apply_migrations(url, db.MESSAGING_MIGRATIONS)
    return url


@pytest.fixture(scope="module")
def amqp_url(rabbitmq):
    with rabbitmq.vhost(f"outbox-relay-{uuid.uuid4().hex[:8]}") as url:
        yield url


async def _received_within(pool, amqp_url, seconds_between: list[float], before_each=None,
                           relay_url: str | None = None, broker_timeout: float = outbox.BROKER_TIMEOUT_SECONDS,
                           limit: float = 10) -> list[float]:
    """Enqueue one event per entry (after that pause, and before_each if given), each in its
    own transaction; the seconds each took from commit to a message in payment's queue. The
    relay may reach the broker another way (relay_url) than this test's consumer."""
    relay = outbox.OutboxRelay(pool, relay_url or amqp_url, poll_seconds=30.0, idle_seconds=30.0,
                               broker_timeout_seconds=broker_timeout)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        [subscription] = [s for s in topology.subscriptions_of(topology.CHECKOUT_EVENTS) if s.consumer == "payment"]
        queue = await messaging.declare_subscription(channel, subscription)
        await queue.purge()
        await relay.start()
        try:
            await asyncio.sleep(1.0)  # listening, and the first look at the table done
            took = []
            for pause in seconds_between:
                await asyncio.sleep(pause)
                if before_each:
                    await before_each()
                event = events_pb2.OrderPlaced(event_id=str(uuid.uuid4()), order_id=f"order-{uuid.uuid4().hex}")
                async with pool.connection() as conn, conn.transaction():
                    await outbox.enqueue(conn, topology.CHECKOUT_EVENTS, event)
                committed = time.monotonic()
                while (message := await queue.get(fail=False)) is None:
                    assert time.monotonic() - committed < limit, "the event never arrived"
                    await asyncio.sleep(0.005)
                await message.ack()
                assert message.message_id == event.event_id
                took.append(time.monotonic() - committed)
            return took
        finally:
            await relay.stop(2)


def test_an_event_leaves_as_soon_as_its_transaction_commits(database, amqp_url):
    async def run():
        async with AsyncConnectionPool(database, min_size=1, max_size=4) as pool:
            return await _received_within(pool, amqp_url, [0.0, 0.3, 1.5])

    took = asyncio.run(run())
    assert max(took) < QUICK, took


def test_a_relay_whose_listening_connection_is_cut_listens_again(database, amqp_url):
    def listeners() -> int:
        with psycopg.connect(database, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN outbox_rows%%'"
                                ).fetchone()[0]

    async def cut() -> None:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND query LIKE 'LISTEN outbox_rows%%' AND pid <> pg_backend_pid()")
        await asyncio.to_thread(wait_until, lambda: listeners() == 0, 5, "the listener gone")
        # it listens again after messaging.RECONNECT_SECONDS; events meanwhile wait for the poll (30 s)
        await asyncio.sleep(messaging.RECONNECT_SECONDS + 1.0)
        assert listeners() == 1, "the relay listens again"

    async def run():
        async with AsyncConnectionPool(database, min_size=1, max_size=4) as pool:
            return await _received_within(pool, amqp_url, [0.0], before_each=cut)

    took = asyncio.run(run())
    assert max(took) < QUICK, took


def test_a_relay_whose_broker_goes_silent_connects_again(database, amqp_url):
    """Before each event, the relay's connections to the broker so far are frozen (open, but
    nothing gets through either way). Each event must leave on a new connection within the
    broker timeout and the reconnect pause, not wait minutes for the heartbeats."""
    timeout = 2.0
    broker = urllib.parse.urlsplit(amqp_url)

    async def run(proxy):
        async def freeze():
            # The event before is in the queue once the broker has it, but its confirm may still
            # be on its way to the relay: freezing then would make the relay publish it again
            # (at least once, as it should). Freeze only once the relay has marked it sent.
            async with pool.connection() as conn:
                while (await outbox.backlog(conn))[0]:
                    await asyncio.sleep(0.01)
            proxy.freeze()

        relay_url = broker._replace(netloc=f"{broker.username}:{broker.password}@127.0.0.1:{proxy.port}").geturl()
        async with AsyncConnectionPool(database, min_size=1, max_size=4) as pool:
            return await _received_within(pool, amqp_url, [0.0, 0.0], before_each=freeze, relay_url=relay_url,
                                          broker_timeout=timeout, limit=30)

    with FreezingProxy(broker.port) as proxy:
        took = asyncio.run(run(proxy))
    assert all(timeout <= t < timeout + messaging.RECONNECT_SECONDS + 3 for t in took), took
