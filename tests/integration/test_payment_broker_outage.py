"""paymentservice without RabbitMQ: payments are still taken over gRPC and health stays
SERVING; the events they cause wait in the outbox; when the broker returns, the consumer
and the relay reconnect by themselves and nothing is lost or sent twice."""
import uuid

import grpc
import psycopg
import pytest
from google.type import money_pb2
from grpc_health.v1 import health_pb2

from service_runtime import topology
from shop.checkout.v1 import checkout_pb2, events_pb2 as checkout_events
from shop.payment.v1 import events_pb2 as payment_events, payment_pb2, payment_pb2_grpc
from tests.support.events import drain, listen, new_event_fields, publish
from tests.support.net import free_port
from tests.support.services import ServiceProcess, health_status, wait_until

P = payment_pb2
SERVING = health_pb2.HealthCheckResponse.SERVING


def authorize(stub):
    return stub.Authorize(P.AuthorizeRequest(
        order_id=f"order-{uuid.uuid4().hex}", amount=money_pb2.Money(currency_code="USD", units=40),
        credit_card=P.CreditCard(number="4242 4242 4242 4242", cvv="123", expiry_month=12, expiry_year=2031,
                                 holder_name="Ada Lovelace")), timeout=10).payment


def get(stub, payment_id):
    return stub.GetPayment(P.GetPaymentRequest(payment_id=payment_id), timeout=10).payment


def order_placed(payment):
    order = checkout_pb2.Order(id=payment.order_id, payment_id=payment.id, currency_code="USD",
                               total=payment.amount, status=checkout_pb2.ORDER_STATUS_PLACED)
    return checkout_events.OrderPlaced(order_id=payment.order_id, order=order, **new_event_fields())


def unsent_events(database_url) -> list[tuple[str, bytes]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT message_type, body FROM outbox WHERE sent_at IS NULL ORDER BY id").fetchall()


def test_payments_work_while_rabbitmq_is_down_and_events_flow_when_it_returns(
        payment_channel, payment_service, rabbitmq, postgres):
    stub = payment_pb2_grpc.PaymentServiceStub(payment_channel)
    database_url = postgres.url("payment_test")
    queue = listen(rabbitmq.url, topology.PAYMENT_EVENTS)
    placed_before = authorize(stub)
    rabbitmq.stop()
    try:
        during = authorize(stub)
        assert get(stub, during.id) == during
        captured = stub.Capture(P.CaptureRequest(payment_id=during.id), timeout=10).payment
        assert captured.status == P.PAYMENT_STATUS_CAPTURED
        assert health_status(payment_service.address) == SERVING
        waiting = [payment_events.PaymentCaptured.FromString(body) for kind, body in unsent_events(database_url)
                   if kind == "shop.payment.v1.PaymentCaptured"]
        assert during.id in [e.payment_id for e in waiting]
    finally:
        rabbitmq.start()
    # The consumer reconnects by itself: an order placed now is captured.
    publish(rabbitmq.url, topology.CHECKOUT_EVENTS, order_placed(placed_before))
    wait_until(lambda: get(stub, placed_before.id).status == P.PAYMENT_STATUS_CAPTURED, 60,
               "the consumer back after the broker returned")
    # The relay reconnects by itself: what waited in the outbox goes out, once.
    wait_until(lambda: not unsent_events(database_url), 60, "the outbox relayed after the broker returned")
    received = [payment_events.PaymentCaptured.FromString(m.body) for m in drain(rabbitmq.url, queue)
                if m.type == "shop.payment.v1.PaymentCaptured"]
    assert sorted(e.payment_id for e in received if e.payment_id in {during.id, placed_before.id}) == \
        sorted([during.id, placed_before.id])


@pytest.fixture
def service_without_broker(postgres, artifacts_dir):
    """A second paymentservice whose AMQP_URL points where no broker listens."""
    postgres.create_databases(["payment_nobroker_test"])
    service = ServiceProcess(
        "paymentservice",
        {"DATABASE_URL": postgres.url("payment_nobroker_test"),
         "AMQP_URL": f"amqp://shop:shop@127.0.0.1:{free_port()}/"},
        artifacts_dir / "paymentservice-nobroker.log",
    ).start()
    yield service
    service.stop()


def test_the_service_starts_and_serves_without_a_broker(service_without_broker):
    with grpc.insecure_channel(service_without_broker.address) as channel:
        stub = payment_pb2_grpc.PaymentServiceStub(channel)
        payment = stub.Capture(P.CaptureRequest(payment_id=authorize(stub).id), timeout=10).payment
        assert payment.status == P.PAYMENT_STATUS_CAPTURED
    assert health_status(service_without_broker.address) == SERVING
    assert "cannot reach the broker" in service_without_broker.log_text()
