"""What to give back for a checkout that never became an order (an abandoned checkout):
the sweeper's decision, from whether the order exists after all and what paymentservice
holds for it. Pure: no I/O.

A checkout that reserved stock and perhaps authorized a payment, and then died before
storing its order, left both behind. Without an order nothing can have captured the
payment, so an authorization is voided and the stock released. If money was taken
anyway, something other than checkout moved it: that is left for a person."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class Outcome(enum.Enum):
    """What sweeping one attempt came to (the label of shop_checkout_abandoned_total)."""

    RELEASED = "released"                 # authorization voided (if any), stock released, attempt deleted
    ORDER_EXISTS = "order_exists"         # its order was stored after all: nothing given back, attempt deleted
    NEEDS_ATTENTION = "needs_attention"   # money taken without an order: untouched, attempt kept
    FAILED = "failed"                     # a call failed: the attempt stays for the next sweep


@dataclass(frozen=True)
class Payment:
    """The order's latest payment as paymentservice reports it (status without prefix)."""

    id: str
    status: str


# Statuses in which nothing is held on the card.
NOTHING_TO_VOID = frozenset({"DECLINED", "VOIDED", "FAILED"})


@dataclass(frozen=True)
class Plan:
    void: str | None      # the payment id to void, if any
    release: bool         # release the order's stock
    forget: bool          # delete the attempt once the calls succeeded
    outcome: Outcome      # what it comes to when they do


def plan(*, order_exists: bool, payment: Payment | None) -> Plan:
    if order_exists:
        return Plan(void=None, release=False, forget=True, outcome=Outcome.ORDER_EXISTS)
    if payment is None or payment.status in NOTHING_TO_VOID:
        return Plan(void=None, release=True, forget=True, outcome=Outcome.RELEASED)
    if payment.status == "AUTHORIZED":
        return Plan(void=payment.id, release=True, forget=True, outcome=Outcome.RELEASED)
    # CAPTURED, REFUNDED, or a status this code does not know.
    return Plan(void=None, release=False, forget=False, outcome=Outcome.NEEDS_ATTENTION)
