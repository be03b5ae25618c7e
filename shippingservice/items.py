"""The items of a quote or a shipment: catalog product ids and quantities. Pure."""
from __future__ import annotations

from dataclasses import dataclass

from shippingservice.errors import InvalidArgument

MAX_LINES = 50
MAX_QUANTITY = 1000
MAX_PRODUCT_ID = 100


@dataclass(frozen=True)
class ShipmentItem:
    product_id: str
    quantity: int


def check_items(items: tuple[ShipmentItem, ...]) -> tuple[ShipmentItem, ...]:
    """The items unchanged, or InvalidArgument naming the first line that is wrong."""
    if not items:
        raise InvalidArgument("items must have at least one line")
    if len(items) > MAX_LINES:
        raise InvalidArgument(f"items must have at most {MAX_LINES} lines, got {len(items)}")
    for index, item in enumerate(items):
        if not item.product_id.strip():
            raise InvalidArgument(f"items[{index}].product_id is required")
        if len(item.product_id) > MAX_PRODUCT_ID:
            raise InvalidArgument(f"items[{index}].product_id must be at most {MAX_PRODUCT_ID} characters")
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise InvalidArgument(
                f"items[{index}].quantity must be between 1 and {MAX_QUANTITY}, got {item.quantity}"
            )
    return tuple(items)


def unit_count(items: tuple[ShipmentItem, ...]) -> int:
    """How many things are in the parcel: the quantities added up."""
    return sum(item.quantity for item in items)
