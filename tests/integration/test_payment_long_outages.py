"""paymentservice through long outages of its dependencies, each shown on a private
PostgreSQL and RabbitMQ so the session's servers are not disturbed:

1. An OrderPlaced that arrives during a database outage longer than five paced tries
   would last (50 s, where they take about 33 s) is retried in place, not dead-lettered,
   and captured when the database returns.
2. A SIGTERM while RabbitMQ is down stops the service promptly."""
import time
import uuid

import grpc
import pytest
from google.type import money_pb2

from devstack import rabbitmq as devstack_rabbitmq
from devstack.postgres import temporary_cluster
from service_runtime import topology
from shop.checkout.v1 import checkout_pb2, events_pb2 as checkout_events
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from tests.support.events import drain, new_event_fields, publish
from tests.support.services import ServiceProcess, wait_until

P = payment_pb2
OUTAGE_SECONDS = 50
DEAD_LETTERS = "payment.checkout-events.dlq"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def private_node():
    with devstack_rabbitmq.temporary_node() as node:
        yield node


@pytest.fixture
def private_postgres():
    with temporary_cluster(prefix="shop-test-payment-pg-") as cluster:
        cluster.create_databases(["payment"])
        yield cluster


def authorize(stub):
    return stub.Authorize(P.AuthorizeRequest(
        order_id=f"order-{uuid.uuid4().hex}", amount=money_pb2.Money(currency_code="USD", units=40),
        credit_card=P.CreditCard(number="4242 4242 4242 4242", cvv="123", expiry_month=12, expiry_year=2031,
                                 holder_name="Ada Lovelace")), timeout=10).payment


def status_of(stub, payment_id):
    try:
        return stub.GetPayment(P.GetPaymentRequest(payment_id=payment_id), timeout=5).payment.status
    except grpc.RpcError:  # the service is still reconnecting to the database
        return None


def order_placed(payment):
    order = checkout_pb2.Order(id=payment.order_id, payment_id=payment.id, currency_code="USD",
                               total=payment.amount, status=checkout_pb2.ORDER_STATUS_PLACED)
    return checkout_events.OrderPlaced(order_id=payment.order_id, order=order, **new_event_fields())


def test_an_order_placed_during_a_long_database_outage_is_captured_when_the_database_returns(
        private_postgres, private_node, artifacts_dir):
    service = ServiceProcess(
        "paymentservice", {"DATABASE_URL": private_postgres.url("payment"), "AMQP_URL": private_node.url},
        artifacts_dir / "paymentservice-database-outage.log").start()
    try:
        with grpc.insecure_channel(service.address) as channel:
            stub = payment_pb2_grpc.PaymentServiceStub(channel)
            payment = authorize(stub)
            dead_lettered = []
            private_postgres.stop()
            try:
                publish(private_node.url, topology.CHECKOUT_EVENTS, order_placed(payment))
                # The database stays away for OUTAGE_SECONDS, or until the event is lost.
                deadline = time.monotonic() + OUTAGE_SECONDS
                while time.monotonic() < deadline and not dead_lettered:
                    dead_lettered += drain(private_node.url, DEAD_LETTERS)
                    time.sleep(0.5)
            finally:
                private_postgres.start()
            assert dead_lettered == [], "the OrderPlaced was dead-lettered during the outage"
            wait_until(lambda: status_of(stub, payment.id) == P.PAYMENT_STATUS_CAPTURED, 60,
                       "the capture after the database returned")
    finally:
        service.stop()


def test_sigterm_stops_the_service_while_the_broker_is_down(postgres, private_node, artifacts_dir):
    postgres.create_databases(["payment_sigterm_test"])
    service = ServiceProcess(
        "paymentservice", {"DATABASE_URL": postgres.url("payment_sigterm_test"), "AMQP_URL": private_node.url},
        artifacts_dir / "paymentservice-sigterm.log").start()
    try:
        wait_until(lambda: '"message": "consuming"' in service.log_text(), 20, "the consumer connected")
        private_node.stop()
        wait_until(lambda: "Reconnecting" in service.log_text(), 20, "the service noticing the broker is gone")
        assert service.stop(timeout=15) == 0  # SHUTDOWN_GRACE_SECONDS is 10
    finally:
        service.stop()
        private_node.start()
