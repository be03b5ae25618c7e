"""The order as an email shows it: a snapshot taken from the event that caused the
email, with exact amounts, checked before anything is rendered."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from emailservice.errors import InvalidEvent

MAX_ADDRESS = 254
MAX_ORDER_ID = 100
# Enough to route a message and to refuse header injection; the mail server does the rest.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Address:
    name: str
    lines: tuple[str, ...]
    city: str
    region: str
    postal_code: str
    country_code: str


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class Discount:
    description: str      # "SUMMER-10: 10% off"
    amount: Decimal


@dataclass(frozen=True)
class Order:
    id: str
    email: str
    currency: str
    lines: tuple[OrderLine, ...]
    subtotal: Decimal
    shipping_cost: Decimal
    total: Decimal
    address: Address | None
    # Why the order reached its status (the payment failure, the cancellation reason).
    status_reason: str = ""
    tracking_id: str = ""
    placed_at: datetime | None = None
    discounts: tuple[Discount, ...] = ()

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def check_recipient(address: str) -> str:
    address = address.strip()
    if not address:
        raise InvalidEvent("the order has no email address")
    if len(address) > MAX_ADDRESS or not _ADDRESS.match(address):
        raise InvalidEvent(f"the order's email address {address!r} is not one a message can be sent to")
    return address


def check_order(order: Order) -> Order:
    """The order, if an email can be made of it; InvalidEvent says why not."""
    if not order.id.strip() or len(order.id) > MAX_ORDER_ID or _CONTROL.search(order.id):
        raise InvalidEvent(f"the order id {order.id!r} is missing or malformed")
    check_recipient(order.email)
    for line in order.lines:
        if line.quantity < 1:
            raise InvalidEvent(f"line {line.product_id!r} has quantity {line.quantity}")
    return order
