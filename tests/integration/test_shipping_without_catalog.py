"""shippingservice while catalogservice is unreachable, as its own process: quotes that
need a conversion answer UNAVAILABLE quickly, USD quotes and shipments carry on, health
follows PostgreSQL alone, and conversion comes back by itself when the catalog does.
A short SHIPPING_DAY_SECONDS also lets a parcel be watched all the way to delivery."""
import time
import uuid
from decimal import Decimal

import grpc
import pytest
from google.type import money_pb2
from grpc_health.v1 import health_pb2

from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc
from tests.support.http import request
from tests.support.services import ServiceProcess, health_status, wait_until

S = shipping_pb2.ShipmentStatus
BOSTON = shipping_pb2.Address(name="Ada Lovelace", address_lines=["1 Main St"], city="Boston", region="MA",
                              postal_code="02110", country_code="US")
ITEMS = [shipping_pb2.ShipmentItem(product_id="stoneware-mug", quantity=1)]


def quote_request(code: str) -> shipping_pb2.GetQuoteRequest:
    return shipping_pb2.GetQuoteRequest(address=BOSTON, items=ITEMS, currency_code=code,
                                        subtotal=money_pb2.Money(currency_code=code, units=10))


def fresh_database(postgres, purpose: str) -> str:
    name = f"{purpose}_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    return postgres.url(name)


def shipping_process(postgres, amqp_url: str, catalog_addr: str, log_path) -> ServiceProcess:
    return ServiceProcess("shippingservice", {
        "DATABASE_URL": fresh_database(postgres, "shipping"), "CATALOG_ADDR": catalog_addr, "AMQP_URL": amqp_url,
        "SHIPPING_DAY_SECONDS": "0.5", "CALL_TIMEOUT_SECONDS": "2",
    }, log_path)


@pytest.fixture(scope="module")
def shipping_without_catalog(postgres, rabbitmq, tmp_path_factory):
    """A catalog that was given a port but never started: nothing listens there."""
    logs = tmp_path_factory.mktemp("no-catalog")
    catalog = ServiceProcess("catalogservice", {"DATABASE_URL": fresh_database(postgres, "catalog"),
                                                "AMQP_URL": rabbitmq.url}, logs / "catalog.log")
    service = shipping_process(postgres, rabbitmq.url, catalog.address, logs / "shipping.log").start()
    yield service
    service.stop()


@pytest.fixture
def stub(shipping_without_catalog):
    with grpc.insecure_channel(shipping_without_catalog.address) as channel:
        yield shipping_pb2_grpc.ShippingServiceStub(channel)


def test_a_quote_needing_conversion_is_unavailable_quickly(stub, shipping_without_catalog):
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        stub.GetQuote(quote_request("EUR"), timeout=20)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "currency conversion is unavailable" in info.value.details()
    assert time.monotonic() - started < 10, "fails fast instead of waiting for the caller's deadline"
    assert "Traceback" not in shipping_without_catalog.log_text()


def test_usd_quotes_need_no_catalog(stub):
    quote = stub.GetQuote(quote_request("USD"), timeout=10)
    assert quote.zone == "domestic" and (quote.cost.units, quote.cost.nanos) == (5, 980_000_000)


def test_health_follows_postgres_alone(shipping_without_catalog):
    assert health_status(shipping_without_catalog.address) == health_pb2.HealthCheckResponse.SERVING
    assert request("GET", f"{shipping_without_catalog.http_url}/healthz").json() == {
        "status": "SERVING", "checks": {"postgres": "ok"},
    }


def test_a_parcel_travels_to_delivery_on_a_short_day(stub):
    shipped = stub.ShipOrder(shipping_pb2.ShipOrderRequest(order_id=uuid.uuid4().hex, address=BOSTON, items=ITEMS),
                             timeout=10).shipment
    seen = [shipped.status]

    def delivered():
        shipment = stub.TrackShipment(shipping_pb2.TrackShipmentRequest(tracking_id=shipped.tracking_id),
                                      timeout=5).shipment
        if shipment.status != seen[-1]:
            seen.append(shipment.status)
        return shipment if shipment.status == S.Value("SHIPMENT_STATUS_DELIVERED") else None

    final = wait_until(delivered, 30, "delivery", interval=0.05)
    assert seen[0] == S.Value("SHIPMENT_STATUS_SHIPPED") and seen == sorted(seen), seen
    assert len(seen) >= 3, f"the parcel was seen moving, not just shipped and delivered: {seen}"
    assert [e.status for e in final.events] == [S.Value(name) for name in (
        "SHIPMENT_STATUS_SHIPPED", "SHIPMENT_STATUS_IN_TRANSIT", "SHIPMENT_STATUS_IN_TRANSIT",
        "SHIPMENT_STATUS_OUT_FOR_DELIVERY", "SHIPMENT_STATUS_DELIVERED")]
    assert final.delivery_time == final.estimated_delivery_time == final.events[-1].time
    days = Decimal(final.estimated_delivery_time.ToNanoseconds() - final.ship_time.ToNanoseconds()) / Decimal(500_000_000)
    assert 2 <= days <= 5, "domestic: 2 to 5 days of half a second each"


@pytest.mark.slow
def test_conversion_comes_back_by_itself_when_the_catalog_does(postgres, rabbitmq, tmp_path):
    catalog = ServiceProcess("catalogservice", {"DATABASE_URL": fresh_database(postgres, "catalog"),
                                                "AMQP_URL": rabbitmq.url}, tmp_path / "catalog.log")
    service = shipping_process(postgres, rabbitmq.url, catalog.address, tmp_path / "shipping.log").start()
    try:
        with grpc.insecure_channel(service.address) as channel:
            stub = shipping_pb2_grpc.ShippingServiceStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                stub.GetQuote(quote_request("EUR"), timeout=20)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            catalog.start()

            def quoted_in_euros():
                try:
                    return stub.GetQuote(quote_request("EUR"), timeout=5)
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE
                    return None

            quote = wait_until(quoted_in_euros, 60, "a EUR quote once the catalog is up", interval=0.5)
            assert quote.cost.currency_code == "EUR" and service.process.poll() is None
    finally:
        service.stop()
        catalog.stop()
