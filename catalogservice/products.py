"""Products as the catalog's domain sees them, and the rules for creating, changing
and paging through them. Pure: no I/O."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from service_runtime import money

from catalogservice.errors import InvalidArgument

CATALOG_CURRENCY = "USD"
PLACEHOLDER_IMAGE = "/images/products/placeholder.svg"

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MAX_NAME = 120
MAX_DESCRIPTION = 4000
MAX_IMAGE_URL = 500
MAX_PRICE = Decimal("1000000")
MAX_STOCK = 1_000_000
MAX_CATEGORIES = 5
MAX_BATCH = 100
UPDATABLE_FIELDS = ("name", "description", "image_url", "price", "categories", "stock")


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    description: str
    image_url: str
    price: Decimal
    currency: str
    categories: tuple[str, ...]
    stock: int
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    product_count: int


@dataclass(frozen=True)
class Page:
    products: list[Product]
    next_page_token: str
    total_size: int


def slugify(name: str) -> str:
    """A product id from a name: "Café Table (Oak)" -> "cafe-table-oak"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:63].rstrip("-")


def _check_image_url(url: str) -> str:
    if not url:
        return PLACEHOLDER_IMAGE
    if len(url) > MAX_IMAGE_URL:
        raise InvalidArgument(f"image_url must be at most {MAX_IMAGE_URL} characters")
    if not re.match(r"^(/[A-Za-z0-9._~/-]+|https?://[^\s]+)$", url):
        raise InvalidArgument("image_url must be a path starting with '/' or an http(s) URL")
    return url


def validate(product: Product) -> Product:
    """The product as it may be stored, or InvalidArgument naming the first broken rule.
    Categories are checked against the database by the repository."""
    if not ID_PATTERN.match(product.id):
        raise InvalidArgument(
            "id must be 2-63 characters of lowercase letters, digits and '-', starting with a letter or digit"
        )
    name = product.name.strip()
    if not name:
        raise InvalidArgument("name is required")
    if len(name) > MAX_NAME:
        raise InvalidArgument(f"name must be at most {MAX_NAME} characters")
    description = product.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidArgument(f"description must be at most {MAX_DESCRIPTION} characters")
    if product.currency != CATALOG_CURRENCY:
        raise InvalidArgument(f"price must be in {CATALOG_CURRENCY}, the catalog's currency")
    if not Decimal(0) < product.price <= MAX_PRICE:
        raise InvalidArgument(f"price must be more than 0 and at most {MAX_PRICE} {CATALOG_CURRENCY}")
    if money.has_sub_minor_precision(product.price, product.currency):
        raise InvalidArgument(f"price must be a whole number of cents, got {product.price}")
    if not 0 <= product.stock <= MAX_STOCK:
        raise InvalidArgument(f"stock must be between 0 and {MAX_STOCK}")
    categories = tuple(sorted(set(product.categories)))
    if not categories:
        raise InvalidArgument("a product needs at least one category")
    if len(categories) > MAX_CATEGORIES:
        raise InvalidArgument(f"a product can be in at most {MAX_CATEGORIES} categories")
    return replace(
        product, name=name, description=description,
        image_url=_check_image_url(product.image_url.strip()), categories=categories,
    )


def new_product(draft: Product) -> Product:
    """A product to create: the id derived from the name when none is given."""
    if draft.id.strip():
        return validate(replace(draft, id=draft.id.strip()))
    if not draft.name.strip():
        raise InvalidArgument("name is required")
    product_id = slugify(draft.name)
    if not ID_PATTERN.match(product_id):
        raise InvalidArgument(
            f"no id can be made from the name {draft.name.strip()[:40]!r}: it needs two letters or digits; "
            "give the product an id"
        )
    return validate(replace(draft, id=product_id))


def apply_update(current: Product, changes: Product, paths: list[str]) -> Product:
    """current with the fields named by paths taken from changes, validated."""
    unknown = [p for p in paths if p not in UPDATABLE_FIELDS]
    if unknown:
        raise InvalidArgument(f"cannot update {', '.join(unknown)}; updatable fields: {', '.join(UPDATABLE_FIELDS)}")
    updates = {name: getattr(changes, name) for name in paths}
    if "price" in updates:
        updates["currency"] = changes.currency
    return validate(replace(current, **updates))


def check_ids(ids: list[str], *, maximum: int = MAX_BATCH) -> list[str]:
    if not ids:
        raise InvalidArgument("ids must name at least one product")
    if len(ids) > maximum:
        raise InvalidArgument(f"at most {maximum} ids at once")
    return list(ids)


def check_id(product_id: str) -> str:
    if not product_id:
        raise InvalidArgument("id is required")
    return product_id
