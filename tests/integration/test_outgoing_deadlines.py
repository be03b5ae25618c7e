"""Outgoing calls made through service_runtime.clients always carry a deadline."""
import asyncio

import grpc

from service_runtime.clients import connect
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc


def test_a_call_without_its_own_deadline_gets_the_default(catalog_service):
    async def call(timeout_default, **kwargs):
        async with connect(catalog_service.address, timeout=timeout_default) as channel:
            stub = catalog_pb2_grpc.CatalogServiceStub(channel)
            try:
                await stub.ListProducts(catalog_pb2.ListProductsRequest(page_size=100), **kwargs)
                return grpc.StatusCode.OK
            except grpc.aio.AioRpcError as exc:
                return exc.code()

    assert asyncio.run(call(0.000001)) == grpc.StatusCode.DEADLINE_EXCEEDED
    assert asyncio.run(call(5.0)) == grpc.StatusCode.OK
    assert asyncio.run(call(0.000001, timeout=5.0)) == grpc.StatusCode.OK  # the caller's own deadline wins
