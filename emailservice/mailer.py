"""Sending an order's email at most once per event, and never losing it.

1. Render the email and record it as *pending*, in one transaction with the claim of its
   event (store.record). A redelivered event finds its claim taken and sends nothing.
2. Deliver it (SMTP, or a file in the mail directory).
3. Mark it *sent*; or, when the server did not take it, schedule another attempt with
   exponential backoff, until the give-up time, when it is marked *failed*.

A pending email is leased to whoever is delivering it (lease_until), so the retry worker
only picks up emails that are due: failed attempts whose backoff has passed, and emails
whose handler died between recording and marking. The storage and the delivery are
handed in (repository.py, delivery.py); this module does no I/O of its own."""
from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

from emailservice.errors import DeliveryFailed
from emailservice.mime import new_message_id
from emailservice.notices import Notice
from emailservice.orders import check_order
from emailservice.records import EmailRecord
from emailservice.rendering import Renderer

log = logging.getLogger("emailservice.mailer")


class Outcome(enum.Enum):
    SENT = "sent"
    # Not taken this time; another attempt is scheduled.
    RETRYING = "retrying"
    # Given up for good.
    FAILED = "failed"
    # The event was handled before: nothing done.
    DUPLICATE = "duplicate"


class EmailStore(Protocol):
    async def record(self, email: EmailRecord, *, lease_until: datetime) -> bool:
        """Claim the email's event and record the email as pending, leased until
        lease_until, in one transaction. False (and nothing recorded) if the event was
        claimed before."""

    async def mark_sent(self, email_id: str, *, sent_at: datetime, attempts: int) -> None: ...

    async def schedule_retry(self, email_id: str, *, attempts: int, retry_at: datetime, error: str) -> None: ...

    async def mark_failed(self, email_id: str, *, attempts: int, error: str) -> None: ...

    async def lease_due(self, now: datetime, *, lease_until: datetime, limit: int) -> list[EmailRecord]:
        """Pending emails due an attempt at `now`, each leased until lease_until."""


class Delivery(Protocol):
    async def deliver(self, email: EmailRecord) -> None:
        """Hand the email over; DeliveryFailed if it was not taken."""


@dataclass(frozen=True)
class RetryPolicy:
    # Seconds before the first retry; each later one waits twice as long, up to maximum.
    first: float
    maximum: float
    # Seconds after recording when an email still not delivered is given up.
    give_up_after: float
    # Seconds one attempt may hold an email: longer than a delivery can take.
    lease: float

    def delay(self, failed_attempts: int) -> timedelta:
        return timedelta(seconds=min(self.first * 2 ** max(failed_attempts - 1, 0), self.maximum))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_email_id() -> str:
    return str(uuid.uuid4())


class Mailer:
    def __init__(self, store: EmailStore, delivery: Delivery, renderer: Renderer, *, sender: str,
                 policy: RetryPolicy, clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = new_email_id):
        self._store = store
        self._delivery = delivery
        self._renderer = renderer
        self._sender = sender
        self._policy = policy
        self._clock = clock
        self._new_id = new_id

    def compose(self, notice: Notice) -> EmailRecord:
        """The email a notice calls for, rendered and addressed, not yet recorded."""
        order = check_order(notice.order)
        rendered = self._renderer.render(notice)
        email_id = self._new_id()
        return EmailRecord(
            id=email_id, event_id=notice.event_id, event_type=notice.event_type, kind=notice.kind,
            order_id=order.id, sender=self._sender, recipient=order.email.strip(), subject=rendered.subject,
            message_id=new_message_id(email_id, self._sender), text=rendered.text, html=rendered.html,
            created_at=self._clock(),
        )

    async def send(self, notice: Notice) -> Outcome:
        """Record the notice's email (once per event) and make a first attempt at it."""
        email = self.compose(notice)
        if not await self._store.record(email, lease_until=email.created_at + self._lease()):
            log.info("event already handled; no email sent", extra={"event_id": notice.event_id})
            return Outcome.DUPLICATE
        return await self._attempt(email)

    async def retry_due(self, limit: int = 20) -> list[Outcome]:
        """Another attempt at each pending email that is due one."""
        now = self._clock()
        due = await self._store.lease_due(now, lease_until=now + self._lease(), limit=limit)
        return [await self._attempt(email) for email in due]

    def _lease(self) -> timedelta:
        return timedelta(seconds=self._policy.lease)

    async def _attempt(self, email: EmailRecord) -> Outcome:
        attempts = email.attempts + 1
        details = {"email_id": email.id, "event_id": email.event_id, "kind": email.kind.value, "attempt": attempts}
        try:
            await self._delivery.deliver(email)
        except DeliveryFailed as exc:
            now = self._clock()
            if exc.permanent or now - email.created_at >= timedelta(seconds=self._policy.give_up_after):
                await self._store.mark_failed(email.id, attempts=attempts, error=str(exc))
                log.error("email given up: %s", exc, extra=details)
                return Outcome.FAILED
            retry_at = now + self._policy.delay(attempts)
            await self._store.schedule_retry(email.id, attempts=attempts, retry_at=retry_at, error=str(exc))
            log.warning("email not delivered (%s); next attempt at %s", exc, retry_at.isoformat(), extra=details)
            return Outcome.RETRYING
        await self._store.mark_sent(email.id, sent_at=self._clock(), attempts=attempts)
        log.info("email sent", extra=details)
        return Outcome.SENT
