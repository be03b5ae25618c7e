"""Publishing and reading events in tests, exactly as the services do (same message
properties, same topology), over a blocking call per action."""
from __future__ import annotations

import asyncio
import uuid

import aio_pika
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from service_runtime import messaging, topology


def new_event_fields() -> dict:
    now = Timestamp()
    now.GetCurrentTime()
    return {"event_id": str(uuid.uuid4()), "occur_time": now}


async def _publish(url: str, exchange_name: str, events: list[Message], raw: list[tuple[bytes, dict]]) -> None:
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        for subscription in topology.subscriptions_of(exchange_name):
            await messaging.declare_subscription(channel, subscription)
        exchange = await messaging.declare_exchange(channel, exchange_name)
        for event in events:
            await exchange.publish(messaging.build_message(
                event.SerializeToString(), message_type=event.DESCRIPTOR.full_name,
                message_id=event.event_id, traceparent=None), routing_key="")
        for body, properties in raw:
            await exchange.publish(aio_pika.Message(body, **properties), routing_key="")


def publish(url: str, exchange: str, *events: Message) -> None:
    """Publish events as a producer's outbox relay would (confirmed)."""
    asyncio.run(_publish(url, exchange, list(events), []))


def publish_raw(url: str, exchange: str, body: bytes, **properties) -> None:
    """Publish any bytes with any properties: for malformed-message tests."""
    asyncio.run(_publish(url, exchange, [], [(body, properties)]))


async def _drain(url: str, queue_name: str, limit: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
    got = []
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name, ensure=True)
        while len(got) < limit:
            message = await queue.get(fail=False, no_ack=True)
            if message is None:
                break
            got.append(message)
    return got


def drain(url: str, queue_name: str, limit: int = 1000) -> list:
    """Take (and remove) up to `limit` messages from a queue, e.g. a dead-letter queue."""
    return asyncio.run(_drain(url, queue_name, limit))


async def _bound_queue(url: str, exchange_name: str) -> str:
    connection = await aio_pika.connect(url)
    channel = await connection.channel()
    exchange = await messaging.declare_exchange(channel, exchange_name)
    queue = await channel.declare_queue(f"test.{uuid.uuid4().hex}", exclusive=False, auto_delete=False, durable=True)
    await queue.bind(exchange)
    await connection.close()
    return queue.name


def listen(url: str, exchange: str) -> str:
    """A fresh queue bound to an exchange, to read what a service publishes with drain()."""
    return asyncio.run(_bound_queue(url, exchange))
