"""CALL_LOG=failed: a service logs no line for a call that succeeded and still one for
each that failed, with its method, code and request id."""
import json

import grpc
import pytest

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.services import ServiceProcess


@pytest.fixture(scope="module")
def quiet_catalog(postgres, rabbitmq, tmp_path_factory):
    postgres.create_databases(["catalog_call_log"])
    process = ServiceProcess("catalogservice", {"DATABASE_URL": postgres.url("catalog_call_log"),
                                                "AMQP_URL": rabbitmq.url, "CALL_LOG": "failed"},
                             tmp_path_factory.mktemp("call-log") / "catalog.log").start()
    yield process
    process.stop()


def test_only_failed_calls_get_a_line(quiet_catalog):
    with grpc.insecure_channel(quiet_catalog.address) as channel:
        catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        for _ in range(5):
            catalog.GetProduct(catalog_pb2.GetProductRequest(id="stoneware-mug"), timeout=5)
        with pytest.raises(grpc.RpcError):
            catalog.GetProduct(catalog_pb2.GetProductRequest(id="no-such-thing"), timeout=5,
                               metadata=(("x-request-id", "call-log-test-1"),))
    calls = [line for line in map(json.loads, quiet_catalog.log_text().splitlines()) if line.get("message") == "rpc"]
    assert [(c["method"], c["code"], c["request_id"]) for c in calls] == [
        ("/shop.catalog.v1.CatalogService/GetProduct", "NOT_FOUND", "call-log-test-1")]
