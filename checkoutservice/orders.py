"""Orders as checkout's domain sees them: lines, totals, and the lifecycle
PLACED -> PAID -> SHIPPED; PLACED -> PAYMENT_FAILED; PLACED/PAID -> CANCELLED -> REFUNDED.
Pure: no I/O."""
from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from checkoutservice.errors import AlreadyShipped, IllegalTransition, InvalidArgument


class Status(enum.Enum):
    PLACED = "PLACED"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


# Every move an order may make; anything else is refused (and logged), never applied.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLACED: frozenset({Status.PAID, Status.PAYMENT_FAILED, Status.CANCELLED}),
    Status.PAID: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.CANCELLED: frozenset({Status.REFUNDED}),
    Status.SHIPPED: frozenset(),
    Status.PAYMENT_FAILED: frozenset(),
    Status.REFUNDED: frozenset(),
}

# The time column each status sets when an order reaches it.
TIME_OF_STATUS = {Status.PAID: "paid_at", Status.SHIPPED: "shipped_at", Status.CANCELLED: "cancelled_at",
                  Status.REFUNDED: "refunded_at"}

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254
MAX_REASON = 500
MAX_REQUEST_ID = 64


@dataclass(frozen=True)
class Line:
    product_id: str
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class DiscountLine:
    """A coupon's discount as applied to the order (catalog's ReserveStock redeemed it)."""
    code: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Address:
    name: str
    address_lines: tuple[str, ...]
    city: str
    region: str
    postal_code: str
    country_code: str


@dataclass(frozen=True)
class Order:
    id: str
    user_id: str
    email: str
    status: Status
    lines: tuple[Line, ...]
    address: Address
    currency: str
    shipping_cost: Decimal
    payment_id: str
    status_reason: str = ""
    tracking_id: str = ""
    request_id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    times: dict[str, datetime] = field(default_factory=dict)  # paid_at, shipped_at, ...
    discounts: tuple[DiscountLine, ...] = ()

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def discount_total(self) -> Decimal:
        return sum((discount.amount for discount in self.discounts), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total + self.shipping_cost


def new_order_id() -> str:
    """URL-safe, unguessable, short enough to read out on the phone in groups."""
    return "ord_" + secrets.token_hex(10)


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidArgument("email must be an address like name@example.com", field="email")
    return email


def check_reason(reason: str) -> str:
    if len(reason) > MAX_REASON:
        raise InvalidArgument(f"reason must be at most {MAX_REASON} characters", field="reason")
    return reason.strip()


def check_request_id(request_id: str) -> str:
    if len(request_id) > MAX_REQUEST_ID or not re.match(r"^[A-Za-z0-9_-]*$", request_id):
        raise InvalidArgument(f"request_id must be at most {MAX_REQUEST_ID} letters, digits, '-' or '_'",
                              field="request_id")
    return request_id


def check_transition(order: Order, to: Status) -> None:
    if to not in TRANSITIONS[order.status]:
        raise IllegalTransition(f"order {order.id} cannot move from {order.status.value} to {to.value}")


def moved(order: Order, to: Status, at: datetime, *, reason: str = "", tracking_id: str = "") -> Order:
    """The order after a legal move to `to`, or IllegalTransition."""
    check_transition(order, to)
    times = dict(order.times)
    if to in TIME_OF_STATUS:
        times[TIME_OF_STATUS[to]] = at
    return replace(order, status=to, status_reason=reason or order.status_reason,
                   tracking_id=tracking_id or order.tracking_id, updated_at=at, times=times)


def cancellation(order: Order, at: datetime, reason: str) -> Order | None:
    """The cancelled order, or None when it is already cancelled or refunded (cancelling
    again changes nothing). A shipped order, or one whose payment failed, cannot be."""
    if order.status in (Status.CANCELLED, Status.REFUNDED):
        return None
    if order.status == Status.SHIPPED:
        raise AlreadyShipped(order.id, order.tracking_id)
    if order.status not in (Status.PLACED, Status.PAID):
        raise IllegalTransition(
            f"order {order.id} is {order.status.value.replace('_', ' ').lower()} and can no longer be cancelled"
        )
    return moved(order, Status.CANCELLED, at, reason=reason)
