"""What can go wrong with a payment, named. server.py maps each to a status code. A
refusal's `reason` and `metadata` become the status's google.rpc.ErrorInfo (through
service_runtime.status_details); an InvalidRequest's violations, its BadRequest."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class DeclineReason(Enum):
    """Why the card or network refused; the names are the contract's ErrorInfo reasons."""

    CARD_DECLINED = "The card was declined."
    INSUFFICIENT_FUNDS = "The card has insufficient funds."
    EXPIRED_CARD = "The card has expired."
    INCORRECT_CVV = "The card's security code (CVV) is incorrect."
    ISSUER_UNAVAILABLE = "The card's issuer did not answer."

    @property
    def message(self) -> str:
        return self.value


class PaymentError(Exception):
    """Base of payment's named errors; the message is meant for the caller."""


@dataclass(frozen=True)
class FieldViolation:
    field: str          # as the request names it, e.g. "credit_card.number"
    description: str    # never echoes what was typed: it may be a card number


class InvalidRequest(PaymentError):
    """The request is malformed; every field at fault is named."""

    def __init__(self, violations: list[FieldViolation]):
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
        self.violations = tuple(violations)


class CardRefused(PaymentError):
    """A well-formed card that cannot pay (an authorization declined, a capture refused)."""

    def __init__(self, decline: DeclineReason, payment_id: str):
        super().__init__(decline.message)
        self.decline = decline
        self.payment_id = payment_id
        self.reason = decline.name  # e.g. "INSUFFICIENT_FUNDS", as the contract names it
        self.metadata = {"payment_id": payment_id}


class PaymentNotFound(PaymentError):
    def __init__(self, what: str):
        super().__init__(f"there is no payment {what}")


class IllegalTransition(PaymentError):
    """The payment's status does not allow the operation."""


class AuthorizationExists(PaymentError):
    """Authorize for an order that already has a payment, for another amount."""

    def __init__(self, order_id: str, payment_id: str, amount: str):
        super().__init__(
            f"order {order_id!r} already has payment {payment_id} for {amount}; "
            "an order is authorized once, for one amount"
        )
        self.order_id = order_id
        self.payment_id = payment_id
