"""What an order teaches: a shipped order is a sale (units per product on the day it was
placed, and every pair of its products bought together); a placed order tells which
products its shopper has just bought, so they are not suggested to them again. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable

from recommendationservice.errors import InvalidEvent

# Pairs grow with the square of an order's products. Orders come from carts of at most 50
# lines; an order with more pairs only its 50 biggest lines (every line still counts as
# sold).
MAX_PAIRED_PRODUCTS = 50


@dataclass(frozen=True)
class Sale:
    order_id: str
    # The day the order was placed (UTC): the popularity window counts sales by it.
    day: date
    # (product id, units), each product once, by product id.
    units: tuple[tuple[str, int], ...]

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(product_id for product_id, _ in self.units)


@dataclass(frozen=True)
class Purchase:
    """Products a shopper has just ordered."""

    user_id: str
    product_ids: tuple[str, ...]
    at: datetime


def _units_by_product(order_id: str, lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    if not order_id:
        raise InvalidEvent("the order has no id")
    units: dict[str, int] = {}
    for product_id, quantity in lines:
        if not product_id or quantity < 1:
            raise InvalidEvent(f"order {order_id} has a line without a product or with {quantity} units")
        units[product_id] = units.get(product_id, 0) + quantity
    if not units:
        raise InvalidEvent(f"order {order_id} has no lines")
    return units


def sale_of(order_id: str, placed_at: datetime, lines: Iterable[tuple[str, int]]) -> Sale:
    """The sale a shipped order makes (a product on several lines counts once, all its units)."""
    units = _units_by_product(order_id, lines)
    if placed_at.tzinfo is None:
        raise ValueError("placed_at must be aware")
    return Sale(order_id, placed_at.astimezone(timezone.utc).date(), tuple(sorted(units.items())))


def purchase_of(order_id: str, user_id: str, at: datetime, lines: Iterable[tuple[str, int]]) -> Purchase | None:
    """What a placed order says its shopper bought; None when the order names no shopper."""
    units = _units_by_product(order_id, lines)
    if not user_id:
        return None
    return Purchase(user_id, tuple(sorted(units)), at)


def bought_together(sale: Sale) -> list[tuple[str, str]]:
    """Every ordered pair of distinct products of the sale: each pair counts one order each
    way, so "bought with A" and "bought with B" read the same order. Sorted, so concurrent
    writers take their rows' locks in one order."""
    biggest = sorted(sale.units, key=lambda line: (-line[1], line[0]))[:MAX_PAIRED_PRODUCTS]
    products = sorted(product_id for product_id, _ in biggest)
    return [(a, b) for a in products for b in products if a != b]
