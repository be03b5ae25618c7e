"""The catalog, as the cart needs it: does a product exist, does a coupon code apply?
Errors come back as the cart's own named errors."""
from __future__ import annotations

import grpc

from service_runtime import status_details
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, coupons_pb2, coupons_pb2_grpc

from cartservice.errors import CouponRefused, DependencyUnavailable, InvalidArgument, ProductNotFound


class CatalogClient:
    def __init__(self, channel: grpc.aio.Channel):
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        self._coupons = coupons_pb2_grpc.CouponServiceStub(channel)

    async def ensure_exists(self, product_id: str) -> None:
        try:
            await self._stub.GetProduct(catalog_pb2.GetProductRequest(id=product_id))
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise ProductNotFound(product_id) from None
            raise DependencyUnavailable(
                f"the catalog cannot confirm product {product_id!r} right now ({exc.code().name}); try again shortly"
            ) from None

    async def check_coupon(self, code: str, items, currency_code: str, owner_id: str) -> None:
        """CouponRefused (the catalog's words) unless the code applies to these lines now."""
        try:
            await self._coupons.PriceCoupon(coupons_pb2.PriceCouponRequest(
                coupon_code=code, currency_code=currency_code, customer_id=owner_id,
                lines=[coupons_pb2.CartLine(product_id=p, quantity=q) for p, q in items]))
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise CouponRefused(exc.details(), status_details.reason_of(exc)[1]) from None
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(exc.details()) from None
            raise DependencyUnavailable(
                f"the catalog cannot check the code right now ({exc.code().name}); try again shortly") from None
