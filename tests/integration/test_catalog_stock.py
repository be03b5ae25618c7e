"""Stock reservations per order: all or nothing, idempotent, never oversold under
concurrency, released once."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.integration.catalog_helpers import create_product


@pytest.fixture
def catalog(catalog_channel):
    return catalog_pb2_grpc.CatalogServiceStub(catalog_channel)


def reserve(stub, order_id, *lines):
    request = catalog_pb2.ReserveStockRequest(
        order_id=order_id, lines=[catalog_pb2.StockLine(product_id=p, quantity=q) for p, q in lines]
    )
    return stub.ReserveStock(request, timeout=10)


def stock_of(stub, product_id):
    return stub.GetProduct(catalog_pb2.GetProductRequest(id=product_id), timeout=5).product.stock


def test_a_reservation_takes_stock_and_a_retry_takes_nothing_more(catalog, catalog_channel):
    product = create_product(catalog_channel, stock=10)
    order = uuid.uuid4().hex
    assert reserve(catalog, order, (product.id, 3)).newly_reserved
    assert not reserve(catalog, order, (product.id, 3)).newly_reserved
    assert stock_of(catalog, product.id) == 7


def test_a_retry_with_other_lines_is_refused(catalog, catalog_channel):
    product = create_product(catalog_channel, stock=10)
    order = uuid.uuid4().hex
    reserve(catalog, order, (product.id, 1))
    with pytest.raises(grpc.RpcError) as info:
        reserve(catalog, order, (product.id, 2))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert stock_of(catalog, product.id) == 9


def test_out_of_stock_names_the_product_and_takes_nothing(catalog, catalog_channel):
    plenty = create_product(catalog_channel, stock=50)
    scarce = create_product(catalog_channel, stock=2, name="Scarce Teapot")
    with pytest.raises(grpc.RpcError) as info:
        reserve(catalog, uuid.uuid4().hex, (plenty.id, 5), (scarce.id, 3))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Scarce Teapot is out of stock" in info.value.details()
    assert (stock_of(catalog, plenty.id), stock_of(catalog, scarce.id)) == (50, 2)


def test_an_unknown_or_deleted_product_cannot_be_reserved(catalog, catalog_channel):
    gone = create_product(catalog_channel)
    catalog.DeleteProduct(catalog_pb2.DeleteProductRequest(id=gone.id), timeout=5)
    for product_id in ("ghost", gone.id):
        with pytest.raises(grpc.RpcError) as info:
            reserve(catalog, uuid.uuid4().hex, (product_id, 1))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("lines", [[], [("x", 0)], [("x", 1001)]])
def test_malformed_reservations_are_invalid(catalog, lines):
    with pytest.raises(grpc.RpcError) as info:
        reserve(catalog, "order-1", *lines)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_release_gives_stock_back_exactly_once(catalog, catalog_channel):
    product = create_product(catalog_channel, stock=5)
    order = uuid.uuid4().hex
    reserve(catalog, order, (product.id, 4))
    assert catalog.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=order), timeout=5).released
    assert not catalog.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=order), timeout=5).released
    assert not catalog.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id="never-reserved"), timeout=5).released
    assert stock_of(catalog, product.id) == 5
    with pytest.raises(grpc.RpcError) as info:  # a released order cannot quietly take stock again
        reserve(catalog, order, (product.id, 4))
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_concurrent_reservations_never_oversell(catalog, catalog_channel):
    product = create_product(catalog_channel, stock=7)
    other = create_product(catalog_channel, stock=1000)

    def attempt(i):
        # Lines in both orders, so lock ordering is exercised too.
        lines = [(product.id, 1), (other.id, 1)] if i % 2 else [(other.id, 1), (product.id, 1)]
        try:
            reserve(catalog, f"race-{product.id}-{i}", *lines)
            return "ok"
        except grpc.RpcError as exc:
            return exc.code()

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("ok") == 7
    assert outcomes.count(grpc.StatusCode.FAILED_PRECONDITION) == 33
    assert stock_of(catalog, product.id) == 0
    assert stock_of(catalog, other.id) == 1000 - 7


def test_concurrent_retries_of_one_order_reserve_once(catalog, catalog_channel):
    product = create_product(catalog_channel, stock=100)
    order = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: reserve(catalog, order, (product.id, 2)).newly_reserved, range(8)))
    assert results.count(True) == 1
    assert stock_of(catalog, product.id) == 98
