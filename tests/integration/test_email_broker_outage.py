"""RabbitMQ away does not stop emailservice: it starts and serves gRPC without a broker,
starts consuming when one appears, and carries on after the broker restarts."""
import shutil
import tempfile
import uuid
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from devstack import rabbitmq as devstack_rabbitmq
from service_runtime import topology
from shop.email.v1 import email_pb2, email_pb2_grpc
from tests.support.email_builders import eml_files_to, placed, sent_to, wait_for_emails
from tests.support.events import publish
from tests.support.net import free_port
from tests.support.services import ServiceProcess, health_status


@pytest.fixture
def unstarted_node():
    directory = Path(tempfile.mkdtemp(prefix="shop-email-rabbitmq-"))
    node = devstack_rabbitmq.Node(directory, free_port(), free_port(), free_port())
    yield node
    node.stop()
    shutil.rmtree(directory, ignore_errors=True)


def test_grpc_serves_without_a_broker_and_consuming_starts_and_survives_restarts(
        postgres, unstarted_node, artifacts_dir, tmp_path):
    database = f"email_outage_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([database])
    service = ServiceProcess("emailservice", {
        "DATABASE_URL": postgres.url(database), "AMQP_URL": unstarted_node.url, "MAIL_DIR": str(tmp_path),
    }, artifacts_dir / "emailservice-outage.log").start()  # start() waits for SERVING
    try:
        with grpc.insecure_channel(service.address) as channel:
            emails = email_pb2_grpc.EmailServiceStub(channel)
            assert emails.ListSentEmails(email_pb2.ListSentEmailsRequest(), timeout=5).total_size == 0

            unstarted_node.start()
            first = placed()
            publish(unstarted_node.url, topology.CHECKOUT_EVENTS, first)
            wait_for_emails(emails, first.order.email, 1, timeout=60)

            unstarted_node.stop()
            assert health_status(service.address) == health_pb2.HealthCheckResponse.SERVING
            assert sent_to(emails, first.order.email)[0].event_id == first.event_id

            unstarted_node.start()
            second = placed()
            publish(unstarted_node.url, topology.CHECKOUT_EVENTS, second)
            wait_for_emails(emails, second.order.email, 1, timeout=60)
            assert len(eml_files_to(tmp_path, second.order.email)) == 1
    finally:
        service.stop()
