"""The rules of a stock reservation request. Pure: no I/O."""
from __future__ import annotations

from catalogservice.errors import InvalidArgument

MAX_LINES = 100
MAX_QUANTITY = 1000
MAX_ORDER_ID = 100


def check_order_id(order_id: str) -> str:
    if not order_id or len(order_id) > MAX_ORDER_ID:
        raise InvalidArgument(f"order_id is required (at most {MAX_ORDER_ID} characters)")
    return order_id


def reservation_lines(lines: list[tuple[str, int]]) -> dict[str, int]:
    """product id -> quantity, with repeated products added together, in id order (so
    concurrent reservations lock rows in the same order and never deadlock)."""
    if not lines:
        raise InvalidArgument("a reservation needs at least one line")
    if len(lines) > MAX_LINES:
        raise InvalidArgument(f"a reservation can have at most {MAX_LINES} lines")
    merged: dict[str, int] = {}
    for product_id, quantity in lines:
        if not product_id:
            raise InvalidArgument("every line needs a product_id")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidArgument(f"quantity of {product_id!r} must be between 1 and {MAX_QUANTITY}")
        merged[product_id] = merged.get(product_id, 0) + quantity
        if merged[product_id] > MAX_QUANTITY:
            raise InvalidArgument(f"quantity of {product_id!r} must be between 1 and {MAX_QUANTITY}")
    return dict(sorted(merged.items()))


MAX_ADJUSTMENT = 1_000_000
MAX_REASON = 200
MAX_LEVELS = 100


def check_adjustment(delta: int, reason: str) -> None:
    """An admin's stock adjustment: some units, within reason."""
    if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        raise InvalidArgument(f"delta must be a number of units, not 0, between -{MAX_ADJUSTMENT:,} and "
                              f"{MAX_ADJUSTMENT:,}")
    if len(reason) > MAX_REASON:
        raise InvalidArgument(f"reason takes at most {MAX_REASON} characters")


def check_product_ids(ids: list[str]) -> list[str]:
    """Up to MAX_LEVELS ids, each once, in the order given."""
    if len(ids) > MAX_LEVELS:
        raise InvalidArgument(f"at most {MAX_LEVELS} product ids at once")
    return list(dict.fromkeys(ids))
