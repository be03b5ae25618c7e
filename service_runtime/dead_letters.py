"""The operator's command for dead-letter queues: what is in them and why, and putting
chosen messages back on their queue once the cause is fixed.

    python -m service_runtime.dead_letters list [--queue QUEUE]
    python -m service_runtime.dead_letters replay --queue QUEUE (--message-id ID ... | --all)

AMQP_URL says which broker (as for the services). `list` shows every subscription's
dead-letter queue (service_runtime/topology.py), or one: each message's id, type, reason
and when it was dead-lettered; nothing is taken off. `replay` publishes each chosen
message to the queue it was dead-lettered from, as it first came (body, type, id and
traceparent), waits for the broker's confirm, and only then removes it from the
dead-letter queue. Cut off in between, the message may reach its queue twice; its effect
still happens once, because every consumer's handler is idempotent by event id. It runs
in any service image: `docker compose exec paymentservice python -m
service_runtime.dead_letters list`, or `kubectl exec deploy/paymentservice -- ...`. The back office has the same two as a gRPC
service (`DeadLetterServicer`, served by checkoutservice)."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone

import aio_pika
import grpc

from service_runtime import messaging, prototime, topology
from shop.operations.v1 import dead_letters_pb2, dead_letters_pb2_grpc

DLQ_SUFFIX = ".dlq"
# The broker's own reasons (x-death), in words.
BROKER_REASONS = {"delivery_limit": f"returned to its queue more than {messaging.RETURN_LIMIT} times unsettled "
                                    "(its consumer stopped, crashed or lost the broker each time)",
                  "rejected": "rejected by its consumer", "expired": "expired"}


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    message_type: str
    source_queue: str
    reason: str
    when: datetime | None


def read(message: aio_pika.abc.AbstractIncomingMessage, dead_letter_queue: str) -> DeadLetter:
    """What a dead-lettered message says about itself: our consumer's headers, or the
    broker's x-death. Pure."""
    headers = message.headers or {}
    death = (headers.get("x-death") or [{}])[0]
    reason = headers.get(messaging.REASON_HEADER)
    if reason is None:
        broker_reason = str(death.get("reason", "unknown"))
        reason = BROKER_REASONS.get(broker_reason, broker_reason)
    source = headers.get(messaging.FROM_HEADER) or death.get("queue") or dead_letter_queue.removesuffix(DLQ_SUFFIX)
    when = message.timestamp or death.get("time")
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return DeadLetter(message.message_id or "", message.type or "", str(source), str(reason), when)


def original(message: aio_pika.abc.AbstractIncomingMessage) -> aio_pika.Message:
    """The message as it first came, without what dead-lettering added."""
    return messaging.resent(message)


async def _taken(channel: aio_pika.abc.AbstractChannel, queue_name: str) -> list:
    """Every message of the queue, unacknowledged: those not acked go back when the channel closes."""
    queue = await channel.declare_queue(queue_name, passive=True)
    taken = []
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        taken.append(message)
    return taken


async def list_queues(url: str, queues: list[str]) -> list[tuple[str, list[DeadLetter]]]:
    connection = await aio_pika.connect(url)
    async with connection:
        found = []
        for name in queues:
            channel = await connection.channel()
            try:
                found.append((name, [read(message, name) for message in await _taken(channel, name)]))
            except aio_pika.exceptions.ChannelNotFoundEntity:
                found.append((name, []))  # never declared: nothing was ever dead-lettered there
            finally:
                if not channel.is_closed:
                    await channel.close()
        return found


async def replay(url: str, queue_name: str, message_ids: set[str] | None) -> list[DeadLetter]:
    """Put the chosen messages (all, for None) back on their queues; the ones replayed."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        replayed = []
        for message in await _taken(channel, queue_name):
            letter = read(message, queue_name)
            if message_ids is not None and letter.message_id not in message_ids:
                continue
            await channel.default_exchange.publish(original(message), routing_key=letter.source_queue)
            await message.ack()
            replayed.append(letter)
        await channel.close()
        return replayed


class UnknownDeadLetterQueue(ValueError):
    def __str__(self) -> str:
        return f"{self.args[0]!r} is not a subscription's dead-letter queue"


class BrokerUnavailable(Exception):
    def __str__(self) -> str:
        return "the message broker cannot be reached right now; try again shortly"


# What the servicer's errors are to a caller (the host merges it into the error table).
STATUS_BY_ERROR = {UnknownDeadLetterQueue: grpc.StatusCode.INVALID_ARGUMENT, BrokerUnavailable: grpc.StatusCode.UNAVAILABLE}


def _proto(letter: DeadLetter) -> dead_letters_pb2.DeadLetter:
    return dead_letters_pb2.DeadLetter(message_id=letter.message_id, message_type=letter.message_type,
                                       source_queue=letter.source_queue, reason=letter.reason,
                                       dead_letter_time=prototime.to_timestamp(letter.when))


class DeadLetterServicer(dead_letters_pb2_grpc.DeadLetterServiceServicer):
    """The operator's command as a gRPC service, for the back office (checkoutservice serves it)."""

    def __init__(self, amqp_url: str):
        self._url = amqp_url
        self._queues = [s.dead_letter_queue for s in topology.SUBSCRIPTIONS]

    def _checked(self, queue: str) -> str:
        if queue not in self._queues:
            raise UnknownDeadLetterQueue(queue)
        return queue

    async def ListDeadLetters(self, request, context):
        queues = [self._checked(request.queue)] if request.queue else self._queues
        try:
            found = await list_queues(self._url, queues)
        except (aio_pika.exceptions.AMQPError, OSError) as exc:
            raise BrokerUnavailable() from exc
        return dead_letters_pb2.ListDeadLettersResponse(queues=[
            dead_letters_pb2.DeadLetterQueue(name=name, messages=[_proto(letter) for letter in letters])
            for name, letters in found])

    async def ReplayDeadLetters(self, request, context):
        queue = self._checked(request.queue)
        ids = None if request.all else set(request.message_ids)
        try:
            done = await replay(self._url, queue, ids)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            done = []  # never declared: nothing was ever dead-lettered there
        except (aio_pika.exceptions.AMQPError, OSError) as exc:
            raise BrokerUnavailable() from exc
        missing = sorted((ids or set()) - {letter.message_id for letter in done})
        return dead_letters_pb2.ReplayDeadLettersResponse(replayed=[_proto(letter) for letter in done], missing=missing)


def _line(letter: DeadLetter) -> str:
    when = letter.when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if letter.when else "-"
    return f"  {letter.message_id}  {letter.message_type}  {when}\n    from {letter.source_queue}: {letter.reason}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service_runtime.dead_letters", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="what each dead-letter queue holds, and why")
    listing.add_argument("--queue", help="one dead-letter queue (default: every subscription's)")
    replaying = commands.add_parser("replay", help="put dead-lettered messages back on their queue")
    replaying.add_argument("--queue", required=True, help="the dead-letter queue, e.g. payment.checkout-events.dlq")
    chosen = replaying.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--message-id", action="append", help="a message to replay (repeatable)")
    chosen.add_argument("--all", action="store_true", help="every message of the queue")
    args = parser.parse_args(argv)

    url = os.environ.get("AMQP_URL", "")
    if not url:
        print("AMQP_URL is required (the broker the services use)", file=sys.stderr)
        return 2
    try:
        if args.command == "list":
            queues = [args.queue] if args.queue else [s.dead_letter_queue for s in topology.SUBSCRIPTIONS]
            for name, letters in asyncio.run(list_queues(url, queues)):
                print(f"{name}: {len(letters)} message{'' if len(letters) == 1 else 's'}")
                for letter in letters:
                    print(_line(letter))
            return 0
        ids = None if args.all else set(args.message_id)
        done = asyncio.run(replay(url, args.queue, ids))
        for letter in done:
            print(f"replayed {letter.message_id} ({letter.message_type}) to {letter.source_queue}")
        missing = sorted((ids or set()) - {letter.message_id for letter in done})
        for message_id in missing:
            print(f"not in {args.queue}: {message_id}", file=sys.stderr)
        print(f"{len(done)} replayed")
        return 1 if missing else 0
    except aio_pika.exceptions.ChannelNotFoundEntity:
        print(f"no such queue: {args.queue}", file=sys.stderr)
        return 1
    except (aio_pika.exceptions.AMQPError, OSError) as exc:
        print(f"cannot reach the broker: {exc.__class__.__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
