"""PaymentProcessor: what each RPC and each order event does to payments. Pure: storage
is the PaymentStore handed in (repository.py), and so are the clock and the ids.

Every change is one transaction of the store: the payment, its event for `payment.events`
and, for an order event, the record that this event was handled (so a redelivery does
nothing twice)."""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Callable, Protocol

from paymentservice import amounts, network, payments
from paymentservice.amounts import MoneyInput
from paymentservice.cards import CardInput, check_card
from paymentservice.errors import (AuthorizationExists, CardRefused, DeclineReason, FieldViolation, InvalidRequest,
                                   PaymentNotFound)
from paymentservice.payments import Payment, PaymentStatus, Transition

MAX_ORDER_ID = 100
MAX_REASON = 500


class PaymentTransaction(Protocol):
    async def claim(self, event_id: str, message_type: str) -> bool:
        """Record that this event is handled; False if it already was."""

    async def lock_order(self, order_id: str) -> Payment | None:
        """Hold the order's authorizations until the end of the transaction; return its
        payment that was not declined, if any."""

    async def lock(self, payment_id: str) -> Payment | None:
        """The payment, held until the end of the transaction."""

    async def add(self, payment: Payment) -> None: ...

    async def save(self, transition: Transition) -> None:
        """Store the payment after the transition, and queue its event for publication."""


class PaymentStore(Protocol):
    def transaction(self, *, traceparent: str | None = None) -> AbstractAsyncContextManager[PaymentTransaction]: ...

    async def find(self, payment_id: str) -> Payment | None: ...

    async def latest_for_order(self, order_id: str) -> Payment | None: ...


@dataclass(frozen=True)
class AuthorizeInput:
    order_id: str
    amount: MoneyInput | None
    card: CardInput


@dataclass(frozen=True)
class EventCause:
    """The order event being handled."""

    event_id: str
    message_type: str
    traceparent: str | None = None


class Outcome(Enum):
    """What handling an order event did, for the log."""

    CAPTURED = "captured"
    CAPTURE_FAILED = "capture refused by the network"
    VOIDED = "voided"
    REFUNDED = "refunded"
    ALREADY_HANDLED = "already handled (a redelivery)"
    NOTHING_TO_DO = "nothing to do in the payment's status"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _check_order_id(order_id: str) -> FieldViolation | None:
    if not order_id.strip():
        return FieldViolation("order_id", "is required")
    if len(order_id) > MAX_ORDER_ID:
        return FieldViolation("order_id", f"must be at most {MAX_ORDER_ID} characters")
    return None


def _check_payment_id(payment_id: str) -> str:
    if not payment_id.strip():
        raise InvalidRequest([FieldViolation("payment_id", "is required")])
    return payment_id.strip()


class PaymentProcessor:
    def __init__(self, store: PaymentStore, *, new_payment_id: Callable[[], str],
                 clock: Callable[[], datetime] = utc_now, issuer_fails: Callable[[], bool] = lambda: False):
        self._store = store
        self._new_id = new_payment_id
        self._clock = clock
        # Asked for each authorization the network approves: True declines it as
        # ISSUER_UNAVAILABLE (the paymentFailure fault flag, paymentservice/faults.py).
        self._issuer_fails = issuer_fails

    async def authorize(self, request: AuthorizeInput) -> Payment:
        """Ask the network to reserve the amount, once per order: a retry gets the order's
        payment back. A refusal is recorded (DECLINED) and raised as CardRefused."""
        violations = [v for v in [_check_order_id(request.order_id)] if v]
        checked_amount = amounts.check_amount(request.amount, "amount")
        if isinstance(checked_amount, FieldViolation):
            violations.append(checked_amount)
        card, card_violations = check_card(request.card)
        violations += card_violations
        if violations:
            raise InvalidRequest(violations)
        amount, currency = checked_amount
        now = self._clock()
        async with self._store.transaction() as tx:
            existing = await tx.lock_order(request.order_id)
            if existing is not None:
                if (existing.amount, existing.currency_code) != (amount, currency):
                    raise AuthorizationExists(request.order_id, existing.id,
                                              amounts.format_amount(existing.amount, existing.currency_code))
                return existing
            verdict = network.authorize(card, now.date())
            if isinstance(verdict, network.Approval) and self._issuer_fails():
                verdict = network.Decline(DeclineReason.ISSUER_UNAVAILABLE)
            payment = payments.new_payment(self._new_id(), request.order_id, amount, currency, card, verdict, now)
            await tx.add(payment)
        if payment.status is PaymentStatus.DECLINED:
            raise CardRefused(payment.decline_reason, payment.id)
        return payment

    async def capture(self, payment_id: str) -> Payment:
        """Take the authorized amount. A refusal by the network is recorded (FAILED) and
        then raised as CardRefused."""
        transition = await self._change(_check_payment_id(payment_id), payments.capture)
        if isinstance(transition.event, payments.CaptureFailed):
            raise CardRefused(transition.event.reason, transition.payment.id)
        return transition.payment

    async def void(self, payment_id: str) -> Payment:
        return (await self._change(_check_payment_id(payment_id), payments.void)).payment

    async def refund(self, payment_id: str, amount: MoneyInput | None, reason: str) -> Payment:
        payment_id = _check_payment_id(payment_id)
        reason = reason.strip()
        if len(reason) > MAX_REASON:
            raise InvalidRequest([FieldViolation("reason", f"must be at most {MAX_REASON} characters")])
        wanted = None
        if amount is not None:
            checked = amounts.check_amount(amount, "amount")
            if isinstance(checked, FieldViolation):
                raise InvalidRequest([checked])
            wanted, currency = checked
        else:
            currency = None

        def give_back(payment: Payment, now: datetime) -> Transition:
            if currency is not None and currency != payment.currency_code:
                raise InvalidRequest([FieldViolation(
                    "amount.currency_code", f"must be the payment's currency, {payment.currency_code}")])
            return payments.refund(payment, wanted, reason, now)

        return (await self._change(payment_id, give_back)).payment

    async def get(self, payment_id: str) -> Payment:
        payment = await self._store.find(_check_payment_id(payment_id))
        if payment is None:
            raise PaymentNotFound(f"with id {payment_id!r}")
        return payment

    async def get_for_order(self, order_id: str) -> Payment:
        problem = _check_order_id(order_id)
        if problem:
            raise InvalidRequest([problem])
        payment = await self._store.latest_for_order(order_id)
        if payment is None:
            raise PaymentNotFound(f"for order {order_id!r}")
        return payment

    async def _change(self, payment_id: str, operation) -> Transition:
        async with self._store.transaction() as tx:
            payment = await tx.lock(payment_id)
            if payment is None:
                raise PaymentNotFound(f"with id {payment_id!r}")
            transition = operation(payment, self._clock())
            if transition.event is not None:
                await tx.save(transition)
            return transition

    # Order events. Each is handled once: a redelivered event changes nothing.

    async def on_order_placed(self, cause: EventCause, order_id: str,
                              payment_id: str) -> tuple[Outcome, Payment | None]:
        """Capture the order's payment; an authorization already captured, voided or
        failed stays as it is (its own event already went out)."""
        return await self._on_order_event(cause, order_id, payment_id, self._capture_if_authorized)

    async def on_order_cancelled(self, cause: EventCause, order_id: str, payment_id: str,
                                 reason: str) -> tuple[Outcome, Payment | None]:
        """Void the authorization, or refund all that remains of a captured payment."""
        refund_reason = f"order cancelled: {reason.strip()}" if reason.strip() else "order cancelled"

        def release(payment: Payment, now: datetime) -> Transition:
            if payment.status is PaymentStatus.AUTHORIZED:
                return payments.void(payment, now)
            if payment.status in payments.CAPTURED_STATES:
                return payments.refund(payment, None, refund_reason[:MAX_REASON], now)
            return Transition(payment)  # declined, failed or voided: nothing was taken

        return await self._on_order_event(cause, order_id, payment_id, release)

    @staticmethod
    def _capture_if_authorized(payment: Payment, now: datetime) -> Transition:
        if payment.status is PaymentStatus.AUTHORIZED:
            return payments.capture(payment, now)
        return Transition(payment)

    async def _on_order_event(self, cause: EventCause, order_id: str, payment_id: str,
                              operation) -> tuple[Outcome, Payment | None]:
        """PaymentNotFound, with nothing recorded, if the event names no payment of its order."""
        async with self._store.transaction(traceparent=cause.traceparent) as tx:
            if not await tx.claim(cause.event_id, cause.message_type):
                return Outcome.ALREADY_HANDLED, None
            payment = await tx.lock(payment_id) if payment_id else None
            if payment is None or payment.order_id != order_id:
                raise PaymentNotFound(f"with id {payment_id!r} for order {order_id!r}")
            transition = operation(payment, self._clock())
            if transition.event is None:
                return Outcome.NOTHING_TO_DO, payment
            await tx.save(transition)
            return _OUTCOME_OF[type(transition.event)], transition.payment


_OUTCOME_OF = {
    payments.Captured: Outcome.CAPTURED,
    payments.CaptureFailed: Outcome.CAPTURE_FAILED,
    payments.Voided: Outcome.VOIDED,
    payments.Refunded: Outcome.REFUNDED,
}
