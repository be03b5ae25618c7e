"""catalogservice's life with its database: health follows PostgreSQL down and back
without a restart, calls fail fast while it is down, migrations apply once, and
SIGTERM stops it cleanly."""
import time

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2

from devstack.postgres import temporary_cluster
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.http import request
from tests.support.services import ServiceProcess, health_status, wait_until

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def own_postgres():
    """A cluster of this test's own, so stopping it disturbs no other test."""
    with temporary_cluster(["catalog"], prefix="shop-test-pg-own-") as cluster:
        yield cluster


@pytest.fixture
def service(own_postgres, rabbitmq, tmp_path):
    process = ServiceProcess("catalogservice", {"DATABASE_URL": own_postgres.url("catalog"), "AMQP_URL": rabbitmq.url},
                             tmp_path / "catalog.log")
    process.start()
    yield process
    process.stop()


def test_health_follows_postgres_down_and_back_without_a_restart(own_postgres, service):
    catalog = catalog_pb2_grpc.CatalogServiceStub(grpc.insecure_channel(service.address))
    assert health_status(service.address, "shop.catalog.v1.CatalogService") == SERVING

    own_postgres.stop("immediate")
    wait_until(lambda: health_status(service.address) == NOT_SERVING, 15, "NOT_SERVING after PostgreSQL stopped")
    assert health_status(service.address, "shop.catalog.v1.CatalogService") == NOT_SERVING
    assert request("GET", f"{service.http_url}/healthz").json() == {"status": "NOT_SERVING", "checks": {"postgres": "failing"}}

    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        catalog.ListCategories(catalog_pb2.ListCategoriesRequest(), timeout=20)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started < 10, "a call while the database is down fails fast"

    own_postgres.start()
    wait_until(lambda: health_status(service.address) == SERVING, 30, "SERVING after PostgreSQL returned")
    assert catalog.ListCategories(catalog_pb2.ListCategoriesRequest(), timeout=5).categories
    assert service.process.poll() is None, "the service never restarted"


def test_migrations_apply_once_across_restarts(own_postgres, rabbitmq, service, tmp_path):
    def migration_count():
        with psycopg.connect(own_postgres.url("catalog")) as conn:
            return conn.execute("SELECT count(*) FROM _yoyo_migration").fetchone()[0]

    applied = migration_count()
    assert applied >= 2
    service.stop()
    again = ServiceProcess("catalogservice", {"DATABASE_URL": own_postgres.url("catalog"), "AMQP_URL": rabbitmq.url},
                           tmp_path / "again.log").start()
    try:
        assert migration_count() == applied
    finally:
        again.stop()


def test_sigterm_reports_not_serving_then_exits_cleanly(service):
    assert service.stop() == 0
    lines = service.log_text()
    assert '"message": "shutting down"' in lines and '"message": "stopped"' in lines
    assert "Traceback" not in lines


def test_a_missing_database_url_stops_start_up_naming_it(tmp_path):
    process = ServiceProcess("catalogservice", {"DATABASE_URL": ""}, tmp_path / "noconf.log")
    with pytest.raises(RuntimeError, match="exited with 2"):
        process.start(timeout=20)
    assert "DATABASE_URL is required" in process.log_text()


def test_a_call_in_flight_at_sigterm_finishes_and_new_calls_are_refused(own_postgres, service):
    """A row lock taken from outside holds an UpdateProduct inside the service; SIGTERM
    arrives; the lock is let go; the held call still completes."""
    import threading

    from google.protobuf.field_mask_pb2 import FieldMask

    channel = grpc.insecure_channel(service.address)
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    outcome = {}
    with psycopg.connect(own_postgres.url("catalog")) as blocker:
        blocker.execute("SELECT 1 FROM products WHERE id = 'stoneware-mug' FOR UPDATE")

        def update():
            try:
                outcome["reply"] = catalog.UpdateProduct(catalog_pb2.UpdateProductRequest(
                    product=catalog_pb2.Product(id="stoneware-mug", stock=77),
                    update_mask=FieldMask(paths=["stock"])), timeout=30)
            except grpc.RpcError as exc:
                outcome["error"] = exc.code()

        caller = threading.Thread(target=update)
        caller.start()
        with psycopg.connect(own_postgres.url("catalog")) as observer:
            wait_until(lambda: observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0] == 1,
                10, "the update waiting on the row lock")
        service.process.send_signal(15)
        wait_until(lambda: health_status(service.address) != SERVING, 10, "NOT_SERVING after SIGTERM")
        blocker.rollback()
    caller.join(30)
    assert outcome.get("reply") and outcome["reply"].product.stock == 77, outcome
    assert service.process.wait(20) == 0
    with pytest.raises(grpc.RpcError) as info:
        catalog.ListCategories(catalog_pb2.ListCategoriesRequest(), timeout=3)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    channel.close()
