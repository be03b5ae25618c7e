"""Which order event calls for which email, and what the email needs to know about it."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from emailservice.orders import Order


class EmailKind(enum.Enum):
    ORDER_RECEIVED = "order_received"
    PAYMENT_CONFIRMED = "payment_confirmed"
    PAYMENT_FAILED = "payment_failed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# OrderStatusChanged's new status -> the email it calls for. Every other status (and
# every other event type) calls for none: OrderPlaced and OrderCancelled have their own.
KIND_BY_NEW_STATUS = {
    "PAID": EmailKind.PAYMENT_CONFIRMED,
    "PAYMENT_FAILED": EmailKind.PAYMENT_FAILED,
    "SHIPPED": EmailKind.SHIPPED,
    "REFUNDED": EmailKind.REFUNDED,
}


def kind_for_status_change(new_status: str) -> EmailKind | None:
    return KIND_BY_NEW_STATUS.get(new_status)


@dataclass(frozen=True)
class Notice:
    """One email to send: its kind, the event that called for it, and the order."""

    kind: EmailKind
    event_id: str
    event_type: str
    order: Order
    # OrderCancelled only: whether the payment had been taken (it will be refunded) and
    # whether the shop, not the customer, cancelled.
    payment_captured: bool = False
    cancelled_by_admin: bool = False
