"""The catalog answers reads from memory: two replicas over one database, each change
(through either replica, or by hand in SQL) visible on both within one second; a replica
reads its own writes at once; and a replica whose listening connection is cut reloads
and keeps up."""
import time

import grpc
import psycopg
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd
from tests.support.services import ServiceProcess, wait_until

VISIBLE_WITHIN = 1.0


@pytest.fixture(scope="module")
def database(postgres):
    postgres.create_databases(["catalog_replicas"])
    return postgres.url("catalog_replicas")


@pytest.fixture(scope="module")
def replicas(database, rabbitmq, tmp_path_factory):
    logs = tmp_path_factory.mktemp("replicas")
    started = [ServiceProcess("catalogservice", {"DATABASE_URL": database, "AMQP_URL": rabbitmq.url},
                              logs / f"catalog-{n}.log").start() for n in (1, 2)]
    yield started
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def channels(replicas):
    opened = [grpc.insecure_channel(r.address) for r in replicas]
    yield opened
    for channel in opened:
        channel.close()


@pytest.fixture(scope="module")
def stubs(channels):
    return [catalog_pb2_grpc.CatalogServiceStub(c) for c in channels]


def product_on(stub, product_id):
    return stub.GetProduct(catalog_pb2.GetProductRequest(id=product_id), timeout=5).product


def seen_within(what, predicate) -> float:
    """Seconds until predicate() held (polled every 10 ms); fails past VISIBLE_WITHIN."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < VISIBLE_WITHIN, f"{what} not visible within {VISIBLE_WITHIN} s"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_price_change_through_one_replica_shows_on_the_other_within_a_second(channels, stubs):
    one, two = stubs
    product = create_product(channels[0], stock=10)
    seen_within("the new product on the other replica", lambda: _exists(two, product.id))
    one.UpdateProduct(catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=product.id, price=usd(12, 500_000_000)),
        update_mask=FieldMask(paths=["price"])), timeout=5)
    assert product_on(one, product.id).price.units == 12, "the writer reads its own write at once"
    seen_within("the new price on the other replica", lambda: product_on(two, product.id).price.units == 12)


def test_stock_taken_by_a_reservation_on_one_replica_shows_on_the_other(channels, stubs):
    one, two = stubs
    product = create_product(channels[0], stock=10)
    seen_within("the product", lambda: _exists(two, product.id))
    one.ReserveStock(catalog_pb2.ReserveStockRequest(
        order_id=f"order-{product.id}", lines=[catalog_pb2.StockLine(product_id=product.id, quantity=4)]), timeout=5)
    assert product_on(one, product.id).stock == 6
    seen_within("the stock left", lambda: product_on(two, product.id).stock == 6)
    two.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=f"order-{product.id}"), timeout=5)
    assert product_on(two, product.id).stock == 10
    seen_within("the stock given back", lambda: product_on(one, product.id).stock == 10)


def test_a_change_made_by_hand_in_sql_shows_on_both_replicas(database, channels, stubs):
    product = create_product(channels[1], stock=3)
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE products SET name = 'Zz Renamed By Hand', stock = 42 WHERE id = %s", (product.id,))
    for stub in stubs:
        seen_within("the renamed product", lambda: product_on(stub, product.id).name == "Zz Renamed By Hand")
        assert product_on(stub, product.id).stock == 42
        listed = stub.ListProducts(catalog_pb2.ListProductsRequest(page_size=100), timeout=5).products
        assert listed[-1].id == product.id, "a renamed product takes its new place in the listing"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE products SET deleted_at = now() WHERE id = %s", (product.id,))
    for stub in stubs:
        seen_within("the deletion", lambda: not _exists(stub, product.id))


def test_a_replica_whose_listening_connection_is_cut_reloads_and_keeps_up(database, channels, stubs):
    one, two = stubs
    with psycopg.connect(database, autocommit=True) as conn:
        cut = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND query LIKE 'LISTEN catalog_changes%%' AND pid <> pg_backend_pid()").fetchall()
        assert len(cut) == 2, "each replica listens on a connection of its own"
        wait_until(lambda: conn.execute("SELECT count(*) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND query LIKE 'LISTEN catalog_changes%%'").fetchone()[0] == 2,
                   10, "both replicas listening again")
    product = create_product(channels[0], stock=5)
    one.UpdateProduct(catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=product.id, stock=8), update_mask=FieldMask(paths=["stock"])), timeout=5)
    seen_within("a change after the cut", lambda: _exists(two, product.id) and product_on(two, product.id).stock == 8)


def _exists(stub, product_id) -> bool:
    try:
        product_on(stub, product_id)
        return True
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return False

