"""The catalog, as the cart needs it: does a product exist? Errors come back as the
cart's own named errors."""
from __future__ import annotations

import grpc

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc

from cartservice.errors import DependencyUnavailable, ProductNotFound


class CatalogClient:
    def __init__(self, channel: grpc.aio.Channel):
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)

    async def ensure_exists(self, product_id: str) -> None:
        try:
            await self._stub.GetProduct(catalog_pb2.GetProductRequest(id=product_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise ProductNotFound(product_id) from None
            raise DependencyUnavailable(
                f"the catalog cannot confirm product {product_id!r} right now ({exc.code().name}); try again shortly"
            ) from None
