"""CALL_LOG=failed: a service logs no line for a call that succeeded and still one for
each that failed, with its method, code and request id."""
import json
import time

import grpc
import pytest

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.services import ServiceProcess, wait_until


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

    def calls():
        found = []
        for line in quiet_catalog.log_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # not a JSON line, or one still being written
                continue
            if record.get("message") == "rpc":
                found.append(record)
        return found

    # The line is written as the call ends, which can be just after the caller has its answer.
    wait_until(calls, 5, "the failed call's line")
    time.sleep(0.5)  # and any line that should not be there has had time to come too
    assert [(c["method"], c["code"], c["request_id"]) for c in calls()] == [
        ("/shop.catalog.v1.CatalogService/GetProduct", "NOT_FOUND", "call-log-test-1")]
