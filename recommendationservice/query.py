"""What may be asked: the products to suggest beside, the shopper, how many. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass

from recommendationservice.errors import InvalidArgument

# A cart holds at most 50 lines (cartservice), so a whole cart can be asked about at once.
MAX_PRODUCT_IDS = 50
MAX_LIMIT = 20
DEFAULT_LIMIT = 4
MAX_USER_ID = 128
# The catalog's product ids (catalogservice/products.py ID_PATTERN).
_PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# The cart's owner ids: a user id or "guest:" + session id (cartservice/rules.py).
_USER_ID = re.compile(r"^[^\s/]+$")


@dataclass(frozen=True)
class Query:
    # The products to suggest beside, each once, in the order given.
    seeds: tuple[str, ...]
    # The shopper, or "" when unknown (the public API).
    user_id: str
    limit: int


def check_product_id(product_id: str, field: str) -> str:
    if not _PRODUCT_ID.match(product_id):
        raise InvalidArgument(f"{field} {product_id[:80]!r} is not a catalog product id "
                              "(2 to 63 lowercase letters, digits and '-')")
    return product_id


def parse_query(product_ids: list[str], product_id: str, user_id: str, limit: int) -> Query:
    """The query a request makes, or InvalidArgument naming the field that is wrong."""
    if len(product_ids) > MAX_PRODUCT_IDS:
        raise InvalidArgument(f"product_ids may name at most {MAX_PRODUCT_IDS} products, got {len(product_ids)}")
    seeds = [check_product_id(pid, f"product_ids[{index}]") for index, pid in enumerate(product_ids)]
    if product_id:
        seeds.insert(0, check_product_id(product_id, "product_id"))
    if user_id and (len(user_id) > MAX_USER_ID or not _USER_ID.match(user_id)):
        raise InvalidArgument(f"user_id must be 1 to {MAX_USER_ID} characters without spaces or '/'")
    if limit == 0:
        limit = DEFAULT_LIMIT
    elif not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT} (0 means {DEFAULT_LIMIT}), got {limit}")
    return Query(seeds=tuple(dict.fromkeys(seeds)), user_id=user_id, limit=limit)
