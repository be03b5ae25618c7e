"""The mailer's rules, over an in-memory store and delivery: one email per event, sent
only once taken, retried with backoff while the server is away, given up in the end,
and picked up again when whoever was sending it died."""
import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from emailservice.errors import DeliveryFailed, InvalidEvent
from emailservice.mailer import Mailer, Outcome, RetryPolicy
from emailservice.notices import EmailKind, Notice
from emailservice.orders import Order, OrderLine
from emailservice.records import DeliveryState, EmailRecord
from emailservice.rendering import Renderer

START = datetime(2025, 3, 12, 9, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(first=5, maximum=60, give_up_after=3600, lease=90)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class MemoryStore:
    """The EmailStore contract, in memory."""

    def __init__(self):
        self.claimed: set[str] = set()
        self.emails: dict[str, EmailRecord] = {}
        self.next_attempt: dict[str, datetime] = {}
        self.errors: dict[str, str] = {}

    async def record(self, email, *, lease_until):
        if email.event_id in self.claimed:
            return False
        self.claimed.add(email.event_id)
        self.emails[email.id] = email
        self.next_attempt[email.id] = lease_until
        return True

    def _update(self, email_id, **changes):
        if self.emails[email_id].state is DeliveryState.PENDING:
            self.emails[email_id] = replace(self.emails[email_id], **changes)

    async def mark_sent(self, email_id, *, sent_at, attempts):
        self._update(email_id, state=DeliveryState.SENT, sent_at=sent_at, attempts=attempts)

    async def schedule_retry(self, email_id, *, attempts, retry_at, error):
        self._update(email_id, attempts=attempts)
        self.next_attempt[email_id], self.errors[email_id] = retry_at, error

    async def mark_failed(self, email_id, *, attempts, error):
        self._update(email_id, state=DeliveryState.FAILED, attempts=attempts)
        self.errors[email_id] = error

    async def lease_due(self, now, *, lease_until, limit):
        due = [e for e in self.emails.values()
               if e.state is DeliveryState.PENDING and self.next_attempt[e.id] <= now][:limit]
        for email in due:
            self.next_attempt[email.id] = lease_until
        return due


class Outbox:
    """A mail server that is up or down, and what it took."""

    def __init__(self):
        self.taken: list[EmailRecord] = []
        self.failure: DeliveryFailed | None = None

    async def deliver(self, email):
        if self.failure:
            raise self.failure
        self.taken.append(email)


def notice(event_id="evt-1", **order_changes) -> Notice:
    fields = dict(id="ord-1", email="erika@example.com", currency="USD",
                  lines=(OrderLine("mug", "Mug", 1, Decimal("9.50"), Decimal("9.50")),),
                  subtotal=Decimal("9.50"), shipping_cost=Decimal("0"), total=Decimal("9.50"), address=None)
    fields.update(order_changes)
    return Notice(EmailKind.ORDER_RECEIVED, event_id, "shop.checkout.v1.OrderPlaced", Order(**fields))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store():
    return MemoryStore()


@pytest.fixture
def server():
    return Outbox()


@pytest.fixture
def mailer(store, server, clock):
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 1000))
    return Mailer(store, server, Renderer("The Shop"), sender="The Shop <orders@shop.example>", policy=POLICY,
                  clock=clock, new_id=lambda: next(ids))


def run(coroutine):
    return asyncio.run(coroutine)


def only(store: MemoryStore) -> EmailRecord:
    (email,) = store.emails.values()
    return email


def test_an_event_is_recorded_sent_and_marked_in_that_order(mailer, store, server, clock):
    assert run(mailer.send(notice())) is Outcome.SENT
    email = only(store)
    assert server.taken == [replace(email, state=DeliveryState.PENDING, attempts=0, sent_at=None)]
    assert email.state is DeliveryState.SENT and email.sent_at == clock.now and email.attempts == 1
    assert email.recipient == "erika@example.com" and email.subject == "We've received your order ord-1"
    assert email.message_id == "<00000000-0000-4000-8000-000000000001@shop.example>"
    assert email.event_id == "evt-1" and email.kind is EmailKind.ORDER_RECEIVED and email.order_id == "ord-1"


def test_the_same_event_again_sends_nothing(mailer, store, server):
    run(mailer.send(notice()))
    assert run(mailer.send(notice())) is Outcome.DUPLICATE
    assert len(server.taken) == 1 and len(store.emails) == 1


def test_an_order_no_email_can_be_made_of_is_refused_before_anything_is_recorded(mailer, store, server):
    for bad in ({"email": ""}, {"email": "not-an-address"}, {"email": "a@b.c\r\nBcc: x@y.z"}, {"id": ""}):
        with pytest.raises(InvalidEvent):
            run(mailer.send(notice(**bad)))
    assert store.emails == {} and store.claimed == set() and server.taken == []


def test_a_server_that_is_away_leaves_the_email_pending_with_a_growing_backoff(mailer, store, server, clock):
    server.failure = DeliveryFailed("connection refused")
    assert run(mailer.send(notice())) is Outcome.RETRYING
    email = only(store)
    assert email.state is DeliveryState.PENDING and email.sent_at is None and email.attempts == 1
    waits = [store.next_attempt[email.id] - clock.now]
    for _ in range(5):
        clock.now = store.next_attempt[email.id]
        assert run(mailer.retry_due()) == [Outcome.RETRYING]
        waits.append(store.next_attempt[email.id] - clock.now)
    assert [w.total_seconds() for w in waits] == [5, 10, 20, 40, 60, 60]
    assert store.errors[email.id] == "connection refused" and server.taken == []


def test_nothing_is_retried_before_its_backoff_has_passed(mailer, store, server, clock):
    server.failure = DeliveryFailed("connection refused")
    run(mailer.send(notice()))
    server.failure = None
    clock.advance(4.9)
    assert run(mailer.retry_due()) == []
    clock.advance(0.1)
    assert run(mailer.retry_due()) == [Outcome.SENT]
    assert only(store).state is DeliveryState.SENT and only(store).attempts == 2 and len(server.taken) == 1


def test_an_email_whose_sender_died_after_recording_it_is_sent_when_its_lease_ends(store, server, clock, mailer):
    # The handler recorded the email, then died before delivering: the event's claim is
    # taken, so a redelivered event does nothing, and the lease hands the email on.
    email = mailer.compose(notice())
    run(store.record(email, lease_until=clock.now + timedelta(seconds=POLICY.lease)))
    assert run(mailer.send(notice())) is Outcome.DUPLICATE
    clock.advance(POLICY.lease - 1)
    assert run(mailer.retry_due()) == []
    clock.advance(1)
    assert run(mailer.retry_due()) == [Outcome.SENT]
    assert [e.id for e in server.taken] == [email.id] and only(store).state is DeliveryState.SENT


def test_a_permanent_refusal_is_given_up_at_once(mailer, store, server):
    server.failure = DeliveryFailed("550 no such user", permanent=True)
    assert run(mailer.send(notice())) is Outcome.FAILED
    assert only(store).state is DeliveryState.FAILED and store.errors[only(store).id] == "550 no such user"
    assert run(mailer.retry_due()) == []


def test_an_email_still_not_taken_at_the_give_up_time_is_marked_failed(mailer, store, server, clock):
    server.failure = DeliveryFailed("connection refused")
    run(mailer.send(notice()))
    clock.advance(POLICY.give_up_after)
    assert run(mailer.retry_due()) == [Outcome.FAILED]
    assert only(store).state is DeliveryState.FAILED and server.taken == []
