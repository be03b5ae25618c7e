"""Stock as an admin sees and changes it, against the real catalog and broker: adjustments
never take stock below 0 and are audited with their reason; the reserved units are what
orders still hold, so a release gives them back and a shipment turns them into sales."""
from __future__ import annotations

import time
import uuid

import grpc
import pytest

from service_runtime import audit, topology
from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.checkout.v1 import checkout_pb2, events_pb2
from tests.integration.catalog_helpers import create_product
from tests.support import events


@pytest.fixture
def stub(catalog_channel):
    return catalog_pb2_grpc.CatalogServiceStub(catalog_channel)


def level(stub, product_id: str) -> catalog_pb2.StockLevel:
    (found,) = stub.ListStockLevels(catalog_pb2.ListStockLevelsRequest(product_ids=[product_id]), timeout=5).levels
    return found


def adjust(stub, product_id: str, delta: int, reason: str = "", **kwargs) -> catalog_pb2.Product:
    return stub.AdjustStock(catalog_pb2.AdjustStockRequest(product_id=product_id, delta=delta, reason=reason),
                            timeout=5, **kwargs).product


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_an_adjustment_adds_or_takes_off_and_never_goes_below_zero(stub, catalog_channel):
    product = create_product(catalog_channel, stock=4)
    assert adjust(stub, product.id, 6, "received from supplier",
                  metadata=audit.metadata_for("admin-3", "website", "192.0.2.1")).stock == 10
    assert adjust(stub, product.id, -3, "damaged").stock == 7
    too_many = refused(lambda: adjust(stub, product.id, -8))
    assert too_many.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert too_many.details() == f"{product.name} has 7 available: 8 cannot be taken off"
    assert stub.GetProduct(catalog_pb2.GetProductRequest(id=product.id), timeout=5).product.stock == 7

    assert refused(lambda: adjust(stub, product.id, 0)).code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused(lambda: adjust(stub, product.id, 1, "x" * 201)).code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused(lambda: adjust(stub, "no-such-product", 1)).code() == grpc.StatusCode.NOT_FOUND

    log = audit_pb2_grpc.AuditLogServiceStub(catalog_channel).ListActions(
        audit_pb2.ListActionsRequest(page_size=50), timeout=5).actions
    received = [e for e in log if e.target == product.id and e.action == "AdjustStock" and e.actor_id == "admin-3"]
    assert len(received) == 1 and "received from supplier" in received[0].details
    assert [e.outcome for e in log if e.target == product.id and e.action == "AdjustStock"].count(
        "FAILED_PRECONDITION") == 1


def _wait_for_reserved(stub, product_id: str, units: int, timeout: float = 10) -> catalog_pb2.StockLevel:
    deadline = time.monotonic() + timeout
    while True:
        found = level(stub, product_id)
        if found.reserved == units or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_reserved_units_are_what_open_orders_hold(stub, catalog_channel, catalog_service, rabbitmq):
    product = create_product(catalog_channel, stock=10)
    shipped, cancelled, open_ = (f"order-{uuid.uuid4().hex[:8]}" for _ in range(3))
    for order_id, quantity in ((shipped, 2), (cancelled, 3), (open_, 1)):
        stub.ReserveStock(catalog_pb2.ReserveStockRequest(
            order_id=order_id, lines=[catalog_pb2.StockLine(product_id=product.id, quantity=quantity)]), timeout=5)
    held = level(stub, product.id)
    assert (held.available, held.reserved, held.holding_orders) == (4, 6, 3)

    stub.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=cancelled), timeout=5)
    shipped_event = events_pb2.OrderStatusChanged(
        **events.new_event_fields(), order_id=shipped, previous_status=checkout_pb2.ORDER_STATUS_PAID,
        status=checkout_pb2.ORDER_STATUS_SHIPPED)
    events.publish(rabbitmq.url, topology.CHECKOUT_EVENTS, shipped_event)
    events.publish(rabbitmq.url, topology.CHECKOUT_EVENTS, shipped_event)  # redelivered: changes nothing more

    after = _wait_for_reserved(stub, product.id, 1)
    assert (after.available, after.reserved, after.holding_orders) == (7, 1, 1)  # sold 2, 3 back, 1 held
    # a shipped order's reservation is sold: a late cancel of it gives nothing back
    stub.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=shipped), timeout=5)
    assert level(stub, product.id).available == 7


def test_levels_leave_out_unknown_ids_and_refuse_too_many(stub, catalog_channel):
    product = create_product(catalog_channel, stock=2)
    levels = stub.ListStockLevels(catalog_pb2.ListStockLevelsRequest(
        product_ids=[product.id, "no-such-product", product.id]), timeout=5).levels
    assert [(l.product_id, l.available, l.reserved) for l in levels] == [(product.id, 2, 0)]
    too_many = refused(lambda: stub.ListStockLevels(
        catalog_pb2.ListStockLevelsRequest(product_ids=[f"p{i}" for i in range(101)]), timeout=5))
    assert too_many.code() == grpc.StatusCode.INVALID_ARGUMENT
