"""What the browsing pages show, built from the catalog's answers: product cards and a
product's details, with prices in the visitor's currency and the stock said in words.

The builders are pure. The functions that ask the catalog take it as their first argument
(`backends().catalog` in the views, an in-memory fake in unit tests) and return plain
dataclasses, so templates never see a protobuf message."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterable

from shop.catalog.v1 import catalog_pb2

from frontend import exchange
from frontend.clients import BackendError, Refused
from frontend.money import format_money
from frontend.together import together

log = logging.getLogger("frontend")

PAGE_SIZE = 12           # three rows of four on a desktop, six of two on a phone
RELATED_COUNT = 4
LOW_STOCK = 5            # at or below this, the page says how many are left
MAX_QUANTITY = 99        # the most one add-to-cart form offers
MAX_QUERY_LENGTH = 200   # the catalog refuses longer queries
IMAGE_PREFIX = "/images/products/"
PLACEHOLDER_IMAGE = IMAGE_PREFIX + "placeholder.svg"
_IMAGE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
_WORD = re.compile(r"\w", re.UNICODE)


class UnknownPage(Exception):
    """The catalog refused a listing request: a page token it did not issue."""


# ---- pure builders -------------------------------------------------------------------

@dataclass(frozen=True)
class Stock:
    text: str        # "Out of stock", "Only 3 left", "In stock"
    css_class: str   # "stock-out", "stock-low" or "" (shop.css)
    available: bool
    max_quantity: int  # 0 when nothing can be added


def stock_state(stock: int) -> Stock:
    if stock <= 0:
        return Stock("Out of stock", "stock-out", False, 0)
    if stock <= LOW_STOCK:
        return Stock(f"Only {stock} left", "stock-low", True, min(stock, MAX_QUANTITY))
    return Stock("In stock", "", True, min(stock, MAX_QUANTITY))


def image_src(image_url: str) -> str:
    """The product's image on this website: a file under /images/products/ (served by the
    shop route), or the placeholder for anything else, since pages load nothing from the
    internet."""
    if image_url.startswith(IMAGE_PREFIX) and _IMAGE_NAME.fullmatch(image_url[len(IMAGE_PREFIX):]):
        return image_url
    return PLACEHOLDER_IMAGE


def search_query(raw: str | None) -> str:
    """What to ask the catalog for: the visitor's words trimmed to the catalog's limit, or
    "" when there is nothing it could search for (no letter or digit)."""
    query = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    return query if _WORD.search(query) else ""


def _key(money) -> tuple[str, int, int]:
    return money.currency_code, money.units, money.nanos


@dataclass(frozen=True)
class Prices:
    """One page's prices, all in one currency: converted, or (when conversion is away)
    as the catalog lists them, with a note saying so."""
    shown: dict
    note: str = ""

    def text(self, money) -> str:
        return format_money(self.shown.get(_key(money), money))


def price_book(catalog, prices: Iterable, currency: str) -> Prices:
    """Each distinct price converted once, all in one CurrencyService.ConvertMany call
    (or none, when this process converted them all within the last minute: exchange.py),
    which converts as checkout does, so the page shows what checkout will charge. Prices
    already in `currency` need no conversion. If the conversion fails, the whole page stays
    in the catalog's currency (never a mix) and says why."""
    distinct = {_key(money): money for money in prices}
    foreign = [money for money in distinct.values() if money.currency_code != currency]
    shown = {key: money for key, money in distinct.items() if money.currency_code == currency}
    if not foreign:
        return Prices(shown)
    try:
        converted = exchange.converted(catalog, foreign, currency)
    except BackendError as error:
        log.warning("price conversion unavailable", extra={"currency": currency, "detail": error.message})
        originals = sorted({m.currency_code for m in distinct.values()})
        return Prices(distinct, f"We could not show prices in {currency} just now, "
                                f"so they are in {', '.join(originals)}.")
    shown.update({_key(original): money for original, money in zip(foreign, converted)})
    return Prices(shown)


@dataclass(frozen=True)
class Card:
    id: str
    name: str
    image: str
    price: str
    stock: Stock


@dataclass(frozen=True)
class Listing:
    cards: list[Card]
    total: int
    next_page_token: str
    price_note: str = ""


@dataclass(frozen=True)
class CategoryLink:
    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class ProductPage:
    id: str
    name: str
    description: str
    image: str
    price: str
    stock: Stock
    categories: list[str]
    related: list[Card]
    price_note: str = ""


def card(product, prices: Prices) -> Card:
    return Card(id=product.id, name=product.name, image=image_src(product.image_url),
                price=prices.text(product.price), stock=stock_state(product.stock))


def listing(reply, prices: Prices) -> Listing:
    return Listing(cards=[card(p, prices) for p in reply.products], total=reply.total_size,
                   next_page_token=reply.next_page_token, price_note=prices.note)


# ---- asking the catalog --------------------------------------------------------------

def categories(catalog) -> list[CategoryLink]:
    reply = catalog.ListCategories(catalog_pb2.ListCategoriesRequest())
    return [CategoryLink(c.slug, c.name, c.product_count) for c in reply.categories]


def product_listing(catalog, currency: str, *, category: str = "", page_token: str = "") -> Listing:
    """One page of products in name order, optionally in one category. An unknown
    category is NotFound (404); a page token the catalog did not issue is UnknownPage."""
    try:
        reply = catalog.ListProducts(catalog_pb2.ListProductsRequest(
            page_size=PAGE_SIZE, page_token=page_token, category=category))
    except Refused as error:
        raise UnknownPage(error.message) from None
    return listing(reply, price_book(catalog, (p.price for p in reply.products), currency))


def search_listing(catalog, currency: str, query: str, *, page_token: str = "") -> Listing:
    """One page of search results, best match first; `query` is from search_query()."""
    if not query:
        return Listing(cards=[], total=0, next_page_token="")
    try:
        reply = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(
            query=query, page_size=PAGE_SIZE, page_token=page_token))
    except Refused as error:
        raise UnknownPage(error.message) from None
    return listing(reply, price_book(catalog, (p.price for p in reply.products), currency))


def product_page(catalog, currency: str, product_id: str) -> ProductPage:
    """A product and a few related ones. NotFound (404) if there is no such product;
    related products are a nicety, so the page shows without them if they fail."""
    def related_products() -> list:
        try:
            return list(catalog.ListRelatedProducts(catalog_pb2.ListRelatedProductsRequest(
                id=product_id, page_size=RELATED_COUNT)).products)
        except BackendError as error:
            log.warning("related products unavailable", extra={"detail": error.message})
            return []

    product, related = together(lambda: catalog.GetProduct(catalog_pb2.GetProductRequest(id=product_id)).product,
                                related_products)
    prices = price_book(catalog, [product.price, *(p.price for p in related)], currency)
    return ProductPage(
        id=product.id, name=product.name, description=product.description, image=image_src(product.image_url),
        price=prices.text(product.price), stock=stock_state(product.stock), categories=list(product.categories),
        related=[card(p, prices) for p in related], price_note=prices.note,
    )
