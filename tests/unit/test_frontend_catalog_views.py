"""What the browsing pages show: stock in words, safe image paths, search words, and
prices converted once each (or left in dollars with a note), over an in-memory catalog."""
from decimal import Decimal

import grpc
import pytest
from google.type import money_pb2

from frontend import catalog_views
from frontend.catalog_views import image_src, price_book, search_query, stock_state
from frontend.clients import NotFound, Refused, ServiceUnavailable
from service_runtime.money import from_units_nanos, to_units_nanos
from shop.catalog.v1 import catalog_pb2, currency_pb2


def usd(amount: str) -> money_pb2.Money:
    units, nanos = to_units_nanos(Decimal(amount))
    return money_pb2.Money(currency_code="USD", units=units, nanos=nanos)


def product(product_id: str, price: str, stock: int = 10, image_url: str = "") -> catalog_pb2.Product:
    return catalog_pb2.Product(id=product_id, name=product_id.title(), price=usd(price), stock=stock,
                               image_url=image_url or f"/images/products/{product_id}.svg", categories=["home"])


class FakeCatalog:
    """The catalog's RPCs over a list of products; EUR is worth half a dollar."""

    def __init__(self, products, *, converting=True, related_fails=False):
        self.products = {p.id: p for p in products}
        self.converting, self.related_fails = converting, related_fails
        self.conversions: list[tuple[int, int, str]] = []
        self.calls = 0

    def ListProducts(self, request):
        if request.page_token not in ("", "next"):
            raise Refused("catalog", grpc.StatusCode.INVALID_ARGUMENT, "page_token is not one this service issued")
        found = list(self.products.values())
        return catalog_pb2.ListProductsResponse(products=found, total_size=len(found), next_page_token="next")

    def GetProduct(self, request):
        if request.id not in self.products:
            raise NotFound("catalog", "no such product")
        return catalog_pb2.GetProductResponse(product=self.products[request.id])

    def ListRelatedProducts(self, request):
        if self.related_fails:
            raise ServiceUnavailable("catalog", "timed out")
        return catalog_pb2.ListRelatedProductsResponse(
            products=[p for p in self.products.values() if p.id != request.id][:request.page_size])

    def ConvertMany(self, request):
        self.calls += 1
        self.conversions.extend((m.units, m.nanos, request.to_currency_code) for m in request.amounts)
        if not self.converting:
            raise ServiceUnavailable("catalog", "rates unavailable")
        halves = [to_units_nanos(from_units_nanos(m.units, m.nanos) / 2) for m in request.amounts]
        return currency_pb2.ConvertManyResponse(amounts=[
            money_pb2.Money(currency_code=request.to_currency_code, units=units, nanos=nanos) for units, nanos in halves])


@pytest.mark.parametrize("stock, text, css_class, available, most", [
    (0, "Out of stock", "stock-out", False, 0), (-1, "Out of stock", "stock-out", False, 0),
    (1, "Only 1 left", "stock-low", True, 1), (5, "Only 5 left", "stock-low", True, 5),
    (6, "In stock", "", True, 6), (150, "In stock", "", True, 99),
])
def test_stock_is_said_in_words_and_bounds_the_quantity(stock, text, css_class, available, most):
    assert stock_state(stock) == catalog_views.Stock(text, css_class, available, most)


@pytest.mark.parametrize("url, shown", [
    ("/images/products/stoneware-mug.svg", "/images/products/stoneware-mug.svg"),
    ("https://images.example/mug.jpg", "/images/products/placeholder.svg"),
    ("/images/products/../secret", "/images/products/placeholder.svg"),
    ("/images/products/a/b.svg", "/images/products/placeholder.svg"),
    ("/images/products/.hidden", "/images/products/placeholder.svg"),
    ("/elsewhere/mug.svg", "/images/products/placeholder.svg"),
    ("", "/images/products/placeholder.svg"),
])
def test_only_the_shops_own_product_images_are_shown(url, shown):
    assert image_src(url) == shown


@pytest.mark.parametrize("raw, query", [
    (None, ""), ("   ", ""), ("!!! ???", ""), ("  mug   cup ", "mug cup"), ("x" * 300, "x" * 200),
])
def test_a_search_keeps_words_within_the_catalogs_limit(raw, query):
    assert search_query(raw) == query


def test_each_distinct_price_is_converted_once():
    catalog = FakeCatalog([])
    prices = price_book(catalog, [usd("10"), usd("3.5"), usd("10")], "EUR")
    assert sorted(catalog.conversions) == [(3, 500_000_000, "EUR"), (10, 0, "EUR")]
    assert catalog.calls == 1, "one call for the whole page"
    assert prices.text(usd("10")) == "€5.00" and prices.text(usd("3.5")) == "€1.75" and prices.note == ""


def test_prices_already_in_the_chosen_currency_need_no_call():
    catalog = FakeCatalog([])
    assert price_book(catalog, [usd("10")], "USD").text(usd("10")) == "$10.00" and catalog.conversions == []


def test_when_conversion_fails_the_whole_page_stays_in_dollars_with_a_note():
    catalog = FakeCatalog([], converting=False)
    prices = price_book(catalog, [usd("10"), usd("3.5")], "EUR")
    assert prices.text(usd("10")) == "$10.00" and prices.text(usd("3.5")) == "$3.50"
    assert prices.note == "We could not show prices in EUR just now, so they are in USD."
    assert catalog.calls == 1  # one call for the whole page, refused as a whole


def test_a_listing_shows_cards_in_the_visitors_currency():
    catalog = FakeCatalog([product("mug", "16", stock=3), product("lamp", "79", stock=0)])
    listing = catalog_views.product_listing(catalog, "EUR")
    assert [(c.id, c.price, c.stock.text) for c in listing.cards] == [
        ("mug", "€8.00", "Only 3 left"), ("lamp", "€39.50", "Out of stock")]
    assert listing.total == 2 and listing.next_page_token == "next" and listing.price_note == ""


def test_a_page_token_the_catalog_refuses_is_an_unknown_page():
    with pytest.raises(catalog_views.UnknownPage):
        catalog_views.product_listing(FakeCatalog([]), "USD", page_token="forged")


def test_a_search_without_words_asks_the_catalog_nothing():
    assert catalog_views.search_listing(object(), "USD", "") == catalog_views.Listing([], 0, "")


def test_a_product_page_shows_the_product_and_its_related_products():
    catalog = FakeCatalog([product("mug", "16"), product("cup", "8"), product("jar", "6")])
    page = catalog_views.product_page(catalog, "EUR", "mug")
    assert (page.name, page.price, page.stock.max_quantity) == ("Mug", "€8.00", 10)
    assert [(c.id, c.price) for c in page.related] == [("cup", "€4.00"), ("jar", "€3.00")]


def test_a_product_page_shows_without_related_products_when_they_fail():
    catalog = FakeCatalog([product("mug", "16"), product("cup", "8")], related_fails=True)
    assert catalog_views.product_page(catalog, "USD", "mug").related == []


def test_an_unknown_product_is_not_found():
    with pytest.raises(NotFound):
        catalog_views.product_page(FakeCatalog([]), "USD", "nothing")
