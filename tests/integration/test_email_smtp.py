"""Delivery over SMTP for real: an emailservice process with SMTP_URL, consuming from a
RabbitMQ node of its own (so it alone takes these events), sends to an aiosmtpd server on
a loopback port. While that server is away the email waits, is not listed as sent and is
not dead-lettered; it arrives, once, when the server is back."""
from __future__ import annotations

import threading
import uuid
from email import policy
from email.parser import BytesParser

import grpc
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from devstack import rabbitmq as devstack_rabbitmq
from service_runtime import topology
from shop.email.v1 import email_pb2_grpc
from tests.support.email_builders import (
    metric, order, parts, placed, sent_to, wait_for_emails, wait_for_metric,
)
from tests.support.events import drain, publish
from tests.support.net import free_port
from tests.support.services import ServiceProcess, wait_until

USER, PASSWORD = "mailer", "s3cret/:@"
REFUSED = "nobody"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given, and refuses mail to
    addresses starting with "nobody" the way a server refuses an unknown user."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address.startswith(REFUSED):
            self.refused.append(address)
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self._lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()))

    def to(self, recipient: str) -> list[tuple[str, list[str], bytes]]:
        with self._lock:
            return [m for m in self.messages if recipient in m[1]]


class SmtpServer:
    """aiosmtpd on a fixed loopback port that can be stopped and started again."""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                      authenticator=self.inbox.authenticate, auth_require_tls=False)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None


@pytest.fixture(scope="module")
def smtp_server():
    server = SmtpServer(Inbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_rabbitmq():
    with devstack_rabbitmq.temporary_node() as node:
        yield node


@pytest.fixture(scope="module")
def smtp_service(postgres, own_rabbitmq, smtp_server, artifacts_dir, tmp_path_factory):
    database = f"email_smtp_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([database])
    mail_dir = tmp_path_factory.mktemp("unused-mail")
    password = PASSWORD.replace("/", "%2F").replace(":", "%3A").replace("@", "%40")
    service = ServiceProcess("emailservice", {
        "DATABASE_URL": postgres.url(database), "AMQP_URL": own_rabbitmq.url, "MAIL_DIR": str(mail_dir),
        "SMTP_URL": f"smtp://{USER}:{password}@127.0.0.1:{smtp_server.port}",
        "MAIL_FROM": "Acme Store <orders@acme.test>", "SHOP_NAME": "Acme Store",
        "EMAIL_RETRY_MIN_SECONDS": "0.3", "EMAIL_RETRY_MAX_SECONDS": "1", "EMAIL_RETRY_POLL_SECONDS": "0.1",
        "SMTP_TIMEOUT_SECONDS": "3",
    }, artifacts_dir / "emailservice-smtp.log").start()
    service.mail_dir = mail_dir
    yield service
    service.stop()


@pytest.fixture
def emails(smtp_service):
    with grpc.insecure_channel(smtp_service.address) as channel:
        yield email_pb2_grpc.EmailServiceStub(channel)


def parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def test_an_email_goes_to_the_smtp_server_with_its_headers_and_both_parts(
        own_rabbitmq, smtp_server, smtp_service, emails):
    event = placed(order(name="Grace Hopper"))
    publish(own_rabbitmq.url, topology.CHECKOUT_EVENTS, event)
    (email,) = wait_for_emails(emails, event.order.email, 1)

    ((mail_from, rcpt_tos, data),) = smtp_server.inbox.to(event.order.email)
    assert mail_from == "orders@acme.test" and rcpt_tos == [event.order.email]
    message = parse(data)
    assert message["From"] == "Acme Store <orders@acme.test>" and message["To"] == event.order.email
    assert message["Subject"] == f"We've received your order {event.order.id}" == email.subject
    assert message["Message-ID"] == email.message_id == f"<{email.id}@acme.test>" and message["Date"]
    text, html = parts(message)
    assert text == email.text_body and html == email.html_body
    assert "Hello Grace Hopper," in text and "Acme Store" in html
    assert (USER.encode(), PASSWORD.encode()) in smtp_server.inbox.logins
    assert list(smtp_service.mail_dir.iterdir()) == []


def test_while_the_smtp_server_is_away_the_email_waits_and_is_sent_once_when_it_returns(
        own_rabbitmq, smtp_server, smtp_service, emails):
    retrying = metric(smtp_service, "email_outcomes_total", outcome="retrying")
    smtp_server.stop()
    try:
        event = placed()
        publish(own_rabbitmq.url, topology.CHECKOUT_EVENTS, event)
        # A first attempt and at least two retries, each refused.
        wait_for_metric(smtp_service, "email_outcomes_total", retrying + 3, outcome="retrying")
        assert sent_to(emails, event.order.email) == []
    finally:
        smtp_server.start()

    (email,) = wait_for_emails(emails, event.order.email, 1)
    assert email.event_id == event.event_id
    wait_until(lambda: smtp_server.inbox.to(event.order.email), 10, "the email at the SMTP server")
    assert len(smtp_server.inbox.to(event.order.email)) == 1
    assert [m for m in drain(own_rabbitmq.url, "email.checkout-events.dlq") if m.message_id == event.event_id] == []


def test_a_recipient_the_server_refuses_for_good_is_given_up_without_retries(
        own_rabbitmq, smtp_server, smtp_service, emails):
    failed = metric(smtp_service, "email_outcomes_total", outcome="failed")
    event = placed(order(f"{REFUSED}-{uuid.uuid4().hex[:8]}@example.com"))
    publish(own_rabbitmq.url, topology.CHECKOUT_EVENTS, event)
    wait_for_metric(smtp_service, "email_outcomes_total", failed + 1, outcome="failed")
    assert smtp_server.inbox.refused.count(event.order.email) == 1
    assert sent_to(emails, event.order.email) == []
    assert smtp_server.inbox.to(event.order.email) == []

