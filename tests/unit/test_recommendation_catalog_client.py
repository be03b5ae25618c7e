"""recommendationservice's CatalogClient keeps what the catalog said of each product for
KNOWN_FOR_SECONDS, a missing product too, and asks only for the rest; a category's first
products are kept as long. The catalog is a
stand-in channel here; tests/integration/test_recommendations.py asks the real one (a
deletion and a sell-out leave the suggestions)."""
from __future__ import annotations

import asyncio

from recommendationservice.clients import KNOWN_FOR_SECONDS, CatalogClient
from shop.catalog.v1 import catalog_pb2
from tests.support.clock import ManualClock


class Channel:
    """BatchGetProducts over a few products (answering with those it has), recording each
    request's ids, and ListProducts over their categories, recording each (category, size)."""

    def __init__(self, *ids: str, category: str = "kitchen"):
        self.products = {i: catalog_pb2.Product(id=i, stock=3, categories=[category]) for i in ids}
        self.asked: list[list[str]] = []
        self.listed: list[tuple[str, int]] = []

    def unary_unary(self, method, request_serializer=None, response_deserializer=None, _registered_method=None):
        async def batch_get(request, **_):
            self.asked.append(list(request.ids))
            return catalog_pb2.BatchGetProductsResponse(
                products=[self.products[i] for i in request.ids if i in self.products])

        async def list_products(request, **_):
            self.listed.append((request.category, request.page_size))
            return catalog_pb2.ListProductsResponse(products=[
                p for p in self.products.values() if request.category in p.categories][:request.page_size])
        return list_products if method.endswith("/ListProducts") else batch_get


def test_what_the_catalog_said_is_kept_a_second_and_only_the_rest_asked_for():
    channel, clock = Channel("a", "b", "c"), ManualClock(10.0)
    client = CatalogClient(channel, clock)

    def products(*ids):
        return sorted(asyncio.run(client.products(list(ids))))

    assert products("a", "b", "gone") == ["a", "b"]
    assert products("b", "a", "gone") == ["a", "b"] and len(channel.asked) == 1, "all known, none asked"
    assert products("a", "c") == ["a", "c"] and channel.asked[1:] == [["c"]]
    channel.products.pop("a")  # deleted meanwhile
    clock.now += KNOWN_FOR_SECONDS
    assert products("a", "c", "gone") == ["c"] and channel.asked[2:] == [["a", "c", "gone"]]


def test_a_categorys_first_products_are_kept_a_second():
    channel, clock = Channel("a", "b", "c"), ManualClock(10.0)
    client = CatalogClient(channel, clock)

    def listed(category, count):
        return [p.id for p in asyncio.run(client.in_category(category, count))]

    assert listed("kitchen", 2) == ["a", "b"] and listed("kitchen", 2) == ["a", "b"]
    assert listed("kitchen", 3) == ["a", "b", "c"] and listed("garden", 2) == []
    assert channel.listed == [("kitchen", 2), ("kitchen", 3), ("garden", 2)], "each (category, count) asked once"
    channel.products.pop("a")  # deleted meanwhile
    assert listed("kitchen", 2) == ["a", "b"], "within the second"
    clock.now += KNOWN_FOR_SECONDS
    assert listed("kitchen", 2) == ["b", "c"] and channel.listed[3:] == [("kitchen", 2)]
