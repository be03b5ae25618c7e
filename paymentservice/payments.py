"""A payment and its state machine, pure.

    AUTHORIZED ──capture──► CAPTURED ──refund part──► PARTIALLY_REFUNDED ──refund rest──► REFUNDED
        │  └──capture refused──► FAILED                └───────────refund all────────────────▲
        └──void──► VOIDED
    (an authorization the network refuses is recorded as DECLINED, and goes nowhere)

Each operation returns a Transition: the payment after it, and the event that announces
the change, or None when the call changed nothing (a repeat, which is allowed). An
operation the status does not allow raises IllegalTransition."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum

from paymentservice.amounts import format_amount
from paymentservice.cards import Card, CardBrand
from paymentservice.errors import DeclineReason, IllegalTransition
from paymentservice.network import Approval, Decline


class PaymentStatus(Enum):
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    CAPTURED = "captured"
    FAILED = "failed (its capture was refused)"
    VOIDED = "voided"
    PARTIALLY_REFUNDED = "partially refunded"
    REFUNDED = "refunded"


CAPTURED_STATES = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})


@dataclass(frozen=True)
class Payment:
    id: str
    order_id: str
    status: PaymentStatus
    currency_code: str
    amount: Decimal
    card_brand: CardBrand
    card_last4: str
    create_time: datetime
    update_time: datetime
    captured_amount: Decimal = Decimal(0)
    refunded_amount: Decimal = Decimal(0)
    decline_reason: DeclineReason | None = None
    # The mock network's verdict on a later capture (see network.py).
    capture_refusal: DeclineReason | None = None
    capture_time: datetime | None = None
    void_time: datetime | None = None
    refund_time: datetime | None = None

    @property
    def refundable(self) -> Decimal:
        return self.captured_amount - self.refunded_amount

    def describe(self) -> str:
        return f"payment {self.id} is {self.status.value}"


@dataclass(frozen=True)
class Captured:
    amount: Decimal


@dataclass(frozen=True)
class CaptureFailed:
    reason: DeclineReason


@dataclass(frozen=True)
class Refunded:
    amount: Decimal          # this refund
    total_refunded: Decimal  # all refunds so far, this one included
    fully_refunded: bool
    reason: str


@dataclass(frozen=True)
class Voided:
    pass


PaymentEvent = Captured | CaptureFailed | Refunded | Voided


@dataclass(frozen=True)
class Transition:
    payment: Payment
    event: PaymentEvent | None = None


def new_payment(payment_id: str, order_id: str, amount: Decimal, currency_code: str, card: Card,
                answer: Approval | Decline, now: datetime) -> Payment:
    """The record of an authorization attempt: only the card's brand and last four."""
    common = dict(id=payment_id, order_id=order_id, currency_code=currency_code, amount=amount,
                  card_brand=card.brand, card_last4=card.last4, create_time=now, update_time=now)
    if isinstance(answer, Decline):
        return Payment(status=PaymentStatus.DECLINED, decline_reason=answer.reason, **common)
    return Payment(status=PaymentStatus.AUTHORIZED, capture_refusal=answer.capture_refusal, **common)


def capture(payment: Payment, now: datetime) -> Transition:
    if payment.status in CAPTURED_STATES:
        return Transition(payment)
    if payment.status is not PaymentStatus.AUTHORIZED:
        raise IllegalTransition(f"{payment.describe()}, so it cannot be captured")
    if payment.capture_refusal is not None:
        failed = replace(payment, status=PaymentStatus.FAILED, decline_reason=payment.capture_refusal,
                         update_time=now)
        return Transition(failed, CaptureFailed(payment.capture_refusal))
    captured = replace(payment, status=PaymentStatus.CAPTURED, captured_amount=payment.amount,
                       capture_time=now, update_time=now)
    return Transition(captured, Captured(payment.amount))


def void(payment: Payment, now: datetime) -> Transition:
    if payment.status is PaymentStatus.VOIDED:
        return Transition(payment)
    if payment.status in CAPTURED_STATES:
        raise IllegalTransition(f"{payment.describe()}, so it cannot be voided; use Refund")
    if payment.status is not PaymentStatus.AUTHORIZED:
        raise IllegalTransition(f"{payment.describe()}, so there is no authorization to void")
    voided = replace(payment, status=PaymentStatus.VOIDED, void_time=now, update_time=now)
    return Transition(voided, Voided())


def refund(payment: Payment, amount: Decimal | None, reason: str, now: datetime) -> Transition:
    """Give back `amount`, or all that remains when it is None (then a repeat with nothing
    left changes nothing). The amount is in the payment's currency, checked by the caller."""
    if payment.status not in CAPTURED_STATES:
        hint = "; use Void to release an authorization" if payment.status is PaymentStatus.AUTHORIZED else ""
        raise IllegalTransition(f"{payment.describe()} and was never captured, so there is nothing to refund{hint}")
    remaining = payment.refundable
    if amount is None:
        if remaining == 0:
            return Transition(payment)
        amount = remaining
    if amount > remaining:
        raise IllegalTransition(
            f"cannot refund {format_amount(amount, payment.currency_code)}: only "
            f"{format_amount(remaining, payment.currency_code)} of payment {payment.id} remains to be refunded"
        )
    total = payment.refunded_amount + amount
    fully = total == payment.captured_amount
    refunded = replace(
        payment, status=PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED,
        refunded_amount=total, refund_time=now, update_time=now,
    )
    return Transition(refunded, Refunded(amount, total, fully, reason))
