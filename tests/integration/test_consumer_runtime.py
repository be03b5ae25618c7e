"""The runtime's consumer against a real RabbitMQ.

- The connection lost while a message is being handled (RabbitMQ killed or restarted, a
  network cut): the handling is not cut short halfway. Its effect finishes, the lost
  acknowledgement brings the message back once the consumer is connected again, and the
  consumer carries on with new messages. Cut halfway, an effect outside the database (an
  email handed to the mail server) would be left for a slow recovery path.
- Several messages at once, an order's own events still one after another in queue order."""
import asyncio
import urllib.parse
import uuid

import aio_pika
import pytest

from service_runtime import messaging
from service_runtime.messaging import Consumer, Delivery, Subscription
from shop.checkout.v1 import events_pb2

SUBSCRIPTION = Subscription("consumer-test", "consumer-test.events")
RESTARTS = 8  # more than the broker allowed returns before (5): the sixth dead-lettered it


@pytest.fixture
def amqp_url(rabbitmq):
    vhost = f"consumer-lost-{uuid.uuid4().hex[:8]}"
    with rabbitmq.vhost(vhost) as url:
        yield url, vhost


async def _publish(url: str, *events) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await messaging.declare_subscription(channel, SUBSCRIPTION)
        exchange = await messaging.declare_exchange(channel, SUBSCRIPTION.exchange)
        for event in events:
            await exchange.publish(messaging.build_message(
                event.SerializeToString(), message_type=event.DESCRIPTOR.full_name, message_id=event.event_id,
                traceparent=None), routing_key="")


async def _until(predicate, seconds: float, what: str) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def test_a_message_being_handled_when_the_connection_drops_is_finished_then_redelivered(rabbitmq, amqp_url):
    url, vhost = amqp_url
    started, finished, release = [], [], asyncio.Event()

    async def handle(event, delivery: Delivery) -> None:
        started.append((event.event_id, delivery.redelivered))
        if len(started) == 1:
            await release.wait()  # the first delivery is held while its connection is cut
        finished.append((event.event_id, delivery.redelivered))

    async def scenario() -> None:
        consumer = Consumer(url, SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
        await consumer.start()
        try:
            await asyncio.wait_for(consumer.connected.wait(), 30)
            first = events_pb2.OrderPlaced(event_id=str(uuid.uuid4()), order_id="order-held")
            await _publish(url, first)
            await _until(lambda: started, 10, "the first handling")

            await asyncio.to_thread(rabbitmq.ctl, "close_all_connections", "-p", vhost, "a test cuts the connection")
            await asyncio.sleep(1.0)  # the client has seen the connection go
            release.set()
            await _until(lambda: finished, 5, "the held handling finishing after its connection was lost")
            assert finished == [(first.event_id, False)]

            # Its acknowledgement was lost with the connection: the broker delivers it again.
            await _until(lambda: len(finished) == 2, 30, "the redelivery of the unacknowledged message")
            assert finished[1] == (first.event_id, True)

            second = events_pb2.OrderPlaced(event_id=str(uuid.uuid4()), order_id="order-after")
            await _publish(url, second)
            await _until(lambda: len(finished) == 3, 30, "a new message handled after the reconnection")
            assert finished[2] == (second.event_id, False)
        finally:
            await consumer.stop(grace=2)

    asyncio.run(scenario())


def test_several_orders_at_once_each_orders_events_in_queue_order(amqp_url):
    url, _vhost = amqp_url
    handled, running, most_at_once = [], set(), [0]

    async def handle(event, delivery: Delivery) -> None:
        running.add(event.event_id)
        most_at_once[0] = max(most_at_once[0], len(running))
        # the slow one is each order's first event: a later one must still wait for it
        await asyncio.sleep(0.3 if event.event_id.endswith("-1") else 0.01)
        handled.append(event.event_id)
        running.discard(event.event_id)

    orders = [f"order-{n}" for n in range(3)]
    events = [events_pb2.OrderPlaced(event_id=f"{order}-{step}", order_id=order)
              for step in range(1, 4) for order in orders]  # interleaved, as orders progress together

    async def scenario() -> None:
        await _publish(url, *events)
        consumer = Consumer(url, SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
        await consumer.start()
        try:
            await _until(lambda: len(handled) == len(events), 30, "every event handled")
        finally:
            await consumer.stop(grace=2)

    asyncio.run(scenario())
    for order in orders:
        assert [e for e in handled if e.startswith(order + "-")] == [f"{order}-{step}" for step in range(1, 4)]
    assert most_at_once[0] > 1, "different orders' events were never handled at the same time"


def test_a_broker_that_takes_the_connection_but_never_answers_is_tried_again(amqp_url, monkeypatch):
    """A broker still starting may take the TCP connection and say nothing: the first
    connection gives up after its timeout and is tried again, then the consumer consumes.
    The broker here is a loopback relay to the real one that stays silent twice."""
    url, _ = amqp_url
    monkeypatch.setattr(messaging, "CONNECT_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(messaging, "RECONNECT_SECONDS", 0.1)
    broker = urllib.parse.urlsplit(url)
    handled = []

    async def handle(event, delivery: Delivery) -> None:
        handled.append(event.event_id)

    async def pipe(reader, writer) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def scenario() -> None:
        attempts = []

        async def starting_broker(reader, writer) -> None:
            attempts.append(writer)
            if len(attempts) <= 2:  # still starting: takes the connection, says nothing
                await reader.read()
                return
            up_reader, up_writer = await asyncio.open_connection(broker.hostname, broker.port)
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        server = await asyncio.start_server(starting_broker, "127.0.0.1", 0)
        relay = broker._replace(netloc=f"{broker.username}:{broker.password}@127.0.0.1:{server.sockets[0].getsockname()[1]}")
        consumer = Consumer(urllib.parse.urlunsplit(relay), SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
        await consumer.start()
        try:
            await asyncio.wait_for(consumer.connected.wait(), 10)
            assert len(attempts) == 3, attempts
            await _publish(url, events_pb2.OrderPlaced(event_id="after-the-silence", order_id="o-silent"))
            await _until(lambda: handled == ["after-the-silence"], 10, "the event handled")
        finally:
            await consumer.stop()
            for writer in attempts:
                writer.close()
            server.close()

    asyncio.run(scenario())


async def _dead_letters(url: str) -> list[str]:
    """The message ids in the subscription's dead-letter queue (taken off it)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(SUBSCRIPTION.dead_letter_queue, passive=True)
        found = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            found.append(message.message_id)
        return found


def test_restarts_during_one_outage_neither_dead_letter_nor_double_the_message(amqp_url):
    """A dependency is away (a transient error: retried in place). The consumer is stopped
    and started again RESTARTS times meanwhile, as rolling restarts would, each stop handing
    the message back to the broker. When the dependency returns, the message is handled,
    once, and nothing was dead-lettered: returns are not the message's own failures."""
    url, _ = amqp_url
    outage, calls, effects = [True], [], []

    async def handle(event, delivery: Delivery) -> None:
        calls.append(event.event_id)
        if outage[0]:
            raise ConnectionRefusedError("the database is away")  # an OSError: transient
        effects.append(event.event_id)

    async def scenario() -> None:
        await _publish(url, events_pb2.OrderPlaced(event_id="through-restarts", order_id="o-restarts"))
        for restart in range(RESTARTS):
            consumer = Consumer(url, SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
            await consumer.start()
            seen = len(calls)
            await _until(lambda: len(calls) > seen, 10, f"the message handled (and failing) before restart {restart}")
            await consumer.stop()
        outage[0] = False
        consumer = Consumer(url, SUBSCRIPTION, {events_pb2.OrderPlaced: handle})
        await consumer.start()
        try:
            await _until(lambda: effects, 15, "the message handled once the dependency returned")
            await asyncio.sleep(0.5)
        finally:
            await consumer.stop()
        assert effects == ["through-restarts"]
        assert await _dead_letters(url) == []

    asyncio.run(scenario())
