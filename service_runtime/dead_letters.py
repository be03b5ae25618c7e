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
service_runtime.dead_letters list`, or `kubectl exec deploy/paymentservice -- ...`."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone

import aio_pika

from service_runtime import messaging, topology

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
