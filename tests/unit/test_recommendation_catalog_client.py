"""recommendationservice's CatalogClient keeps what the catalog said of each product for
KNOWN_FOR_SECONDS, a missing product too, and asks only for the rest. The catalog is a
stand-in channel here; tests/integration/test_recommendations.py asks the real one (a
deletion and a sell-out leave the suggestions)."""
from __future__ import annotations

import asyncio

from recommendationservice.clients import KNOWN_FOR_SECONDS, CatalogClient
from shop.catalog.v1 import catalog_pb2
from tests.support.clock import ManualClock


class Channel:
    """BatchGetProducts over a few products (answering with those it has), recording each
    request's ids."""

    def __init__(self, *ids: str):
        self.products = {i: catalog_pb2.Product(id=i, stock=3) for i in ids}
        self.asked: list[list[str]] = []

    def unary_unary(self, method, request_serializer=None, response_deserializer=None, _registered_method=None):
        async def call(request, **_):
            self.asked.append(list(request.ids))
            return catalog_pb2.BatchGetProductsResponse(
                products=[self.products[i] for i in request.ids if i in self.products])
        return call


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
