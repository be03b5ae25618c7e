"""A consumer killed in the middle of handling a message: the broker redelivers it to
the next process, which finishes the job once. A table lock holds the consumer inside
its transaction, so the kill lands mid-handling every time."""
import signal
import uuid

import grpc
import psycopg
import pytest
from google.protobuf.json_format import MessageToDict

from devstack import rabbitmq as devstack_rabbitmq
from service_runtime import topology
from shop.email.v1 import email_pb2, email_pb2_grpc
from shop.payment.v1 import events_pb2 as payment_events
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from tests.support import events
from tests.support.email_builders import money, order, placed
from tests.support.services import ServiceProcess, wait_until


@pytest.fixture(scope="module")
def broker():
    """A broker of this module's own: only the processes started here consume from it."""
    with devstack_rabbitmq.temporary_node() as node:
        yield node


def fresh_database(postgres, purpose: str) -> str:
    name = f"{purpose}_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    return postgres.url(name)


def waiting_on_a_lock(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()").fetchone()[0] > 0


def kill_mid_handling(module: str, env: dict, database_url: str, table: str, publish, tmp_path) -> ServiceProcess:
    """Start the service, hold `table`, publish, SIGKILL the service while it waits on the
    lock, let go, and start a second process on the same database and broker."""
    first = ServiceProcess(module, env, tmp_path / f"{module}-1.log").start()
    with psycopg.connect(database_url) as hold:
        hold.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        publish()
        wait_until(lambda: waiting_on_a_lock(database_url), 20, f"{module} handling the message")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
    return ServiceProcess(module, env, tmp_path / f"{module}-2.log").start()


def test_no_double_capture_when_payment_is_killed_mid_message(postgres, broker, tmp_path):
    database_url = fresh_database(postgres, "payment_kill")
    env = {"DATABASE_URL": database_url, "AMQP_URL": broker.url}
    setup = ServiceProcess("paymentservice", env, tmp_path / "payment-setup.log").start()
    with grpc.insecure_channel(setup.address) as channel:
        payment = payment_pb2_grpc.PaymentServiceStub(channel).Authorize(payment_pb2.AuthorizeRequest(
            order_id="ord-killed", amount=money("30.00"),
            credit_card=payment_pb2.CreditCard(number="4242424242424242", cvv="123", expiry_month=12,
                                               expiry_year=2031, holder_name="Ada")), timeout=10).payment
    setup.stop()
    announced = events.listen(broker.url, topology.PAYMENT_EVENTS)
    event = placed(order(id="ord-killed", payment_id=payment.id, total=money("30.00")))

    second = kill_mid_handling("paymentservice", env, database_url, "payments",
                               lambda: events.publish(broker.url, topology.CHECKOUT_EVENTS, event), tmp_path)
    try:
        with grpc.insecure_channel(second.address) as channel:
            stub = payment_pb2_grpc.PaymentServiceStub(channel)
            wait_until(lambda: stub.GetPayment(payment_pb2.GetPaymentRequest(payment_id=payment.id), timeout=5)
                       .payment.status == payment_pb2.PAYMENT_STATUS_CAPTURED, 30, "the capture after the kill")
            captured = stub.GetPayment(payment_pb2.GetPaymentRequest(payment_id=payment.id), timeout=5).payment
        assert MessageToDict(captured.captured_amount) == MessageToDict(money("30.00"))
        wait_until(lambda: waiting_on_a_lock(database_url) is False, 5, "quiet")
        messages = []
        wait_until(lambda: messages.extend(events.drain(broker.url, announced)) or
                   any(m.type == "shop.payment.v1.PaymentCaptured" for m in messages), 20, "PaymentCaptured")
        captures = [m for m in messages if m.type == "shop.payment.v1.PaymentCaptured"
                    and payment_events.PaymentCaptured.FromString(m.body).payment_id == payment.id]
        assert len(captures) == 1, "one capture, announced once"
    finally:
        second.stop()


def test_no_double_email_when_email_is_killed_mid_message(postgres, broker, tmp_path):
    database_url = fresh_database(postgres, "email_kill")
    mail = tmp_path / "mail"
    env = {"DATABASE_URL": database_url, "AMQP_URL": broker.url, "MAIL_DIR": str(mail)}
    event = placed(order())
    second = kill_mid_handling("emailservice", env, database_url, "emails",
                               lambda: events.publish(broker.url, topology.CHECKOUT_EVENTS, event), tmp_path)
    try:
        with grpc.insecure_channel(second.address) as channel:
            stub = email_pb2_grpc.EmailServiceStub(channel)
            listed = lambda: stub.ListSentEmails(email_pb2.ListSentEmailsRequest(  # noqa: E731
                recipient=event.order.email), timeout=5).emails
            # Only this event's email counts: the module's broker may hold other tests' events.
            files = lambda: [f for f in mail.glob("*.eml") if event.order.email in f.read_text()]  # noqa: E731
            wait_until(lambda: len(listed()) >= 1, 30, "the email after the kill")
            wait_until(lambda: len(files()) >= 1, 30, "the .eml file")
            assert len(listed()) == 1 and len(files()) == 1, "one email, sent once"
    finally:
        second.stop()
