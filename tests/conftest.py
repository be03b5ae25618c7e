"""Fixtures that start private servers (real PostgreSQL, the real services) for the
session and stop them afterwards. Everything binds to 127.0.0.1 on free ports."""
from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from devstack import rabbitmq as devstack_rabbitmq
from devstack import redis as devstack_redis
from devstack.postgres import temporary_cluster
from tests.support.services import ServiceProcess


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL cluster for the whole test session."""
    with temporary_cluster(prefix="shop-test-pg-") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def catalog_service(postgres, rabbitmq, artifacts_dir):
    """catalogservice as a real process over its own fresh database, consuming
    checkout.events."""
    postgres.create_databases(["catalog_test"])
    service = ServiceProcess(
        "catalogservice", {"DATABASE_URL": postgres.url("catalog_test"), "AMQP_URL": rabbitmq.url},
        artifacts_dir / "catalogservice.log",
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def catalog_channel(catalog_service):
    with grpc.insecure_channel(catalog_service.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def shipping_service(postgres, rabbitmq, catalog_service, artifacts_dir):
    """shippingservice as a real process over its own database, converting currencies
    through the real catalogservice and consuming checkout.events."""
    postgres.create_databases(["shipping_test"])
    service = ServiceProcess(
        "shippingservice",
        {"DATABASE_URL": postgres.url("shipping_test"), "CATALOG_ADDR": catalog_service.address,
         "AMQP_URL": rabbitmq.url},
        artifacts_dir / "shippingservice.log",
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def shipping_channel(shipping_service):
    with grpc.insecure_channel(shipping_service.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def redis_server():
    """A private Redis for the whole test session."""
    with devstack_redis.temporary_server() as server:
        yield server


@pytest.fixture(scope="session")
def cart_service(redis_server, catalog_service, artifacts_dir):
    """cartservice as a real process over the session's Redis, checking products with the
    real catalogservice."""
    service = ServiceProcess(
        "cartservice",
        {"REDIS_URL": redis_server.url, "CATALOG_ADDR": catalog_service.address},
        artifacts_dir / "cartservice.log",
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def cart_channel(cart_service):
    with grpc.insecure_channel(cart_service.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def rabbitmq():
    """A private RabbitMQ node for the whole test session."""
    with devstack_rabbitmq.temporary_node() as node:
        yield node


@pytest.fixture(scope="session")
def payment_service(postgres, rabbitmq, artifacts_dir):
    """paymentservice as a real process over its own database, consuming checkout.events."""
    postgres.create_databases(["payment_test"])
    service = ServiceProcess(
        "paymentservice",
        {"DATABASE_URL": postgres.url("payment_test"), "AMQP_URL": rabbitmq.url},
        artifacts_dir / "paymentservice.log",
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def payment_channel(payment_service):
    with grpc.insecure_channel(payment_service.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def email_service(postgres, rabbitmq, mail_dir, artifacts_dir):
    """emailservice as a real process over its own database, consuming checkout.events and
    writing .eml files to mail_dir (no SMTP_URL)."""
    postgres.create_databases(["email_test"])
    service = ServiceProcess(
        "emailservice",
        {"DATABASE_URL": postgres.url("email_test"), "AMQP_URL": rabbitmq.url, "MAIL_DIR": str(mail_dir)},
        artifacts_dir / "emailservice.log",
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def email_channel(email_service):
    with grpc.insecure_channel(email_service.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def checkout_service(postgres, rabbitmq, catalog_service, cart_service, shipping_service, payment_service,
                     artifacts_dir):
    """checkoutservice as a real process, calling the real cart, catalog, shipping and
    payment services, publishing to and consuming from the real broker."""
    postgres.create_databases(["checkout_test"])
    service = ServiceProcess(
        "checkoutservice",
        {"DATABASE_URL": postgres.url("checkout_test"), "AMQP_URL": rabbitmq.url,
         "CART_ADDR": cart_service.address, "CATALOG_ADDR": catalog_service.address,
         "SHIPPING_ADDR": shipping_service.address, "PAYMENT_ADDR": payment_service.address},
        artifacts_dir / "checkoutservice.log",
    ).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def checkout_channel(checkout_service):
    with grpc.insecure_channel(checkout_service.address) as channel:
        yield channel
