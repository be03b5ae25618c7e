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
                # A search asks PostgreSQL: it takes long enough for a 1 µs deadline to pass
                # (reads that the catalog answers from memory can beat the client's timer).
                await stub.SearchProducts(catalog_pb2.SearchProductsRequest(query="mug"), **kwargs)
                return grpc.StatusCode.OK
            except grpc.aio.AioRpcError as exc:
                return exc.code()

    assert asyncio.run(call(0.000001)) == grpc.StatusCode.DEADLINE_EXCEEDED
    assert asyncio.run(call(5.0)) == grpc.StatusCode.OK
    assert asyncio.run(call(0.000001, timeout=5.0)) == grpc.StatusCode.OK  # the caller's own deadline wins


def test_a_call_carries_the_request_id_being_handled_and_keeps_one_of_its_own(catalog_service):
    from service_runtime import jsonlog

    async def call(rid, **kwargs):
        jsonlog.request_id.set(rid)
        async with connect(catalog_service.address, timeout=5) as channel:
            await catalog_pb2_grpc.CatalogServiceStub(channel).GetProduct(
                catalog_pb2.GetProductRequest(id="stoneware-mug"), **kwargs)

    asyncio.run(call("outgoing-rid-1"))
    asyncio.run(call("outgoing-rid-2", metadata=(("x-request-id", "callers-own-rid"),)))
    log = catalog_service.log_text()
    assert '"request_id": "outgoing-rid-1"' in log
    assert '"request_id": "callers-own-rid"' in log and '"request_id": "outgoing-rid-2"' not in log
