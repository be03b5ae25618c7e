"""Outgoing calls: the catalog, asked which products exist and are in stock. Each call has
a deadline (the channel's default, capped by what the call being handled has left: see
service_runtime.clients), and an unreachable catalog becomes DependencyUnavailable.

What the catalog said of a product (its record, or that it has none), and the first
products of a category, are kept for KNOWN_FOR_SECONDS: every product page asks for
suggestions, and nearly all of them name the same few dozen products and their handful of
categories, so most answers need no catalog call. A second is the bound
the catalog keeps between its own replicas too (catalogservice/live_catalog.py): a price,
a deletion or a sell-out shows in suggestions within it."""
from __future__ import annotations

import asyncio
import time
from typing import Callable

import grpc
from cachetools import TTLCache

from service_runtime.status_details import reason_of
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc

from recommendationservice.errors import DependencyUnavailable
from recommendationservice.ranking import CatalogProduct

# BatchGetProducts takes at most 100 ids (catalogservice/products.py MAX_BATCH).
MAX_BATCH = 100
# ListProducts' page size limit.
MAX_PAGE = 100
KNOWN_FOR_SECONDS = 1.0
MAX_KNOWN = 10_000


def _product(message: catalog_pb2.Product) -> CatalogProduct:
    return CatalogProduct(id=message.id, categories=tuple(message.categories), stock=message.stock, record=message)


def _unavailable(error: grpc.aio.AioRpcError) -> DependencyUnavailable:
    return DependencyUnavailable(f"the catalog cannot be reached right now ({error.code().name}), and no product "
                                 "is suggested unchecked; try again shortly")


class CatalogClient:
    """The recommender's Catalog, backed by catalogservice's CatalogService."""

    def __init__(self, channel: grpc.aio.Channel, clock: Callable[[], float] = time.monotonic):
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        # id -> the product, or None for one the catalog does not have
        self._known: TTLCache[str, CatalogProduct | None] = TTLCache(MAX_KNOWN, KNOWN_FOR_SECONDS, timer=clock)
        # (category, count) -> its first products ([] for a category the catalog does not know)
        self._listed: TTLCache[tuple[str, int], list[CatalogProduct]] = TTLCache(MAX_KNOWN, KNOWN_FOR_SECONDS,
                                                                                  timer=clock)

    async def products(self, ids: list[str]) -> dict[str, CatalogProduct]:
        known = {i: self._known[i] for i in ids if i in self._known}
        asking = [i for i in dict.fromkeys(ids) if i not in known]
        batches = [asking[start:start + MAX_BATCH] for start in range(0, len(asking), MAX_BATCH)]
        for batch, found in zip(batches, await asyncio.gather(*(self._batch(batch) for batch in batches))):
            for product_id in batch:
                known[product_id] = self._known[product_id] = found.get(product_id)
        return {i: product for i, product in known.items() if product is not None}

    async def _batch(self, ids: list[str]) -> dict[str, CatalogProduct]:
        """BatchGetProducts refuses a whole batch with NOT_FOUND naming the first id it does
        not have (deleted, or never there): that one is left out and the rest asked again."""
        wanted = list(ids)
        while wanted:
            try:
                reply = await self._stub.BatchGetProducts(catalog_pb2.BatchGetProductsRequest(ids=wanted))
            except grpc.aio.AioRpcError as error:
                missing = reason_of(error)[1].get("product_id") if error.code() == grpc.StatusCode.NOT_FOUND else None
                if missing in wanted:
                    wanted.remove(missing)
                    continue
                if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise _unavailable(error) from None
                raise
            return {message.id: _product(message) for message in reply.products}
        return {}

    async def in_category(self, category: str, count: int) -> list[CatalogProduct]:
        key = (category, min(max(count, 1), MAX_PAGE))
        if key not in self._listed:
            self._listed[key] = await self._listing(*key)
        return self._listed[key]

    async def _listing(self, category: str, count: int) -> list[CatalogProduct]:
        try:
            reply = await self._stub.ListProducts(catalog_pb2.ListProductsRequest(
                category=category, page_size=count))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # the category is gone since the product named it
                return []
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise _unavailable(error) from None
            raise
        return [_product(message) for message in reply.products]
