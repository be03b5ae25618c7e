"""The rules of a cart: who may own one, what a line may hold, and how the stored form
reads back. Pure: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cartservice.errors import InvalidArgument

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_OWNER_ID = 128
# The applied coupon code's field in the cart's hash: "~" starts no product id.
COUPON_FIELD = "~coupon"
_COUPON_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")
_PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_OWNER_ID = re.compile(r"^[^\s/]+$")


@dataclass(frozen=True)
class Cart:
    owner_id: str
    items: tuple[tuple[str, int], ...]  # (product id, quantity), by product id
    expires_at: datetime | None = None   # None for an empty cart
    coupon_code: str = ""


def check_owner_id(owner_id: str, field: str = "owner_id") -> str:
    if not owner_id or len(owner_id) > MAX_OWNER_ID or not _OWNER_ID.match(owner_id):
        raise InvalidArgument(f"{field} must be 1 to {MAX_OWNER_ID} characters without spaces or '/'")
    return owner_id


def check_product_id(product_id: str) -> str:
    if not _PRODUCT_ID.match(product_id or ""):
        raise InvalidArgument("product_id must be a catalog product id (lowercase letters, digits and '-')")
    return product_id


def check_added_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidArgument(f"quantity must be between 1 and {MAX_QUANTITY}, got {quantity}")
    return quantity


def check_new_quantity(quantity: int) -> int:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidArgument(f"quantity must be between 0 (to remove the line) and {MAX_QUANTITY}, got {quantity}")
    return quantity


def check_subtracted(items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """An order's lines to take out of a cart: known-shaped ids, each once, 1..99 units."""
    if len(items) > MAX_LINES:
        raise InvalidArgument(f"at most {MAX_LINES} items at once")
    seen = set()
    for product_id, quantity in items:
        check_product_id(product_id)
        check_added_quantity(quantity)
        if product_id in seen:
            raise InvalidArgument(f"{product_id!r} is given more than once")
        seen.add(product_id)
    return items


def line_too_large(product_id: str, in_cart: int, adding: int) -> InvalidArgument:
    return InvalidArgument(
        f"a cart line holds at most {MAX_QUANTITY} units: {product_id!r} has {in_cart}, adding {adding} would make "
        f"{in_cart + adding}"
    )


def too_many_lines() -> InvalidArgument:
    return InvalidArgument(f"a cart holds at most {MAX_LINES} different products; remove one to add another")


def check_coupon_code(typed: str) -> str:
    """A code as typed, in capitals (the catalog says whether it applies)."""
    code = typed.strip().upper()
    if not _COUPON_CODE.fullmatch(code):
        raise InvalidArgument("a coupon code is 3 to 32 letters, digits and dashes")
    return code


def empty_cart_coupon() -> InvalidArgument:
    return InvalidArgument("the cart is empty: add something before applying a coupon code")


def cart_from_storage(owner_id: str, fields: dict[str, str], ttl_ms: int, now: datetime) -> Cart:
    """The cart as stored (product id -> quantity text, and the coupon code) and its
    remaining time to live."""
    fields = dict(fields)
    coupon_code = fields.pop(COUPON_FIELD, "")
    items = tuple(sorted((product_id, int(quantity)) for product_id, quantity in fields.items()))
    expires = now + timedelta(milliseconds=ttl_ms) if (items or coupon_code) and ttl_ms > 0 else None
    return Cart(owner_id, items, expires, coupon_code)
