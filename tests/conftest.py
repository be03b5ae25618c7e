"""Fixtures that start private servers (real PostgreSQL, Redis, RabbitMQ and the real
services) for the session and stop them afterwards. Everything binds to 127.0.0.1 on
free ports."""
from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from devstack import rabbitmq as devstack_rabbitmq
from devstack import redis as devstack_redis
from devstack.docker import TEST_ROOT, Engine
from devstack.host import mounts_under
from devstack.postgres import temporary_cluster
from tests.support import identity as identity_support
from tests.support.journeys import chromium
from tests.support.services import ServiceProcess
from tests.support.website import Website


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL cluster for the whole test session."""
    with temporary_cluster(prefix="shop-test-pg-") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis_server():
    """A private Redis for the whole test session."""
    with devstack_redis.temporary_server() as server:
        yield server


@pytest.fixture(scope="session")
def rabbitmq():
    """A private RabbitMQ node for the whole test session."""
    with devstack_rabbitmq.temporary_node() as node:
        yield node


@pytest.fixture(scope="session")
def engine():
    """The tests' private Docker engine (devstack/docker.py), for the container tests and the
    images of the cluster tests. Its images stay between runs (devstack.docker.TEST_ROOT)."""
    with Engine(TEST_ROOT) as engine:
        yield engine
        # Anonymous volumes that images declare (redis's /data, as upstream's) outlive a plain
        # `down`, as they do everywhere: the tests made them, the tests remove them.
        engine.docker("volume", "prune", "--force", check=False)
        leftovers = {what: engine.docker(*argv).stdout.split() for what, argv in {
            "containers": ("ps", "--all", "--quiet"), "volumes": ("volume", "ls", "--quiet"),
            "networks": ("network", "ls", "--quiet", "--filter", "type=custom")}.items()}
        engine.docker("image", "prune", "--force", check=False)
    mounts = mounts_under((engine.root, engine.exec_root))
    assert not mounts, f"mounts left under the engine's roots: {mounts}"
    assert not any(leftovers.values()), f"the container tests left {leftovers}"


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module (tests/support/journeys.chromium)."""
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


def _service(module: str, env: dict[str, str], artifacts_dir: Path) -> ServiceProcess:
    return ServiceProcess(module, env, artifacts_dir / f"{module}.log")


@pytest.fixture(scope="session")
def catalog_service(postgres, rabbitmq, artifacts_dir):
    """catalogservice over its own fresh database, consuming checkout.events."""
    postgres.create_databases(["catalog_test"])
    with _service("catalogservice", {"DATABASE_URL": postgres.url("catalog_test"), "AMQP_URL": rabbitmq.url},
                  artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def cart_service(redis_server, catalog_service, artifacts_dir):
    """cartservice over the session's Redis, checking products with the real catalog."""
    with _service("cartservice", {"REDIS_URL": redis_server.url, "CATALOG_ADDR": catalog_service.address},
                  artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def shipping_service(postgres, rabbitmq, catalog_service, artifacts_dir, session_flags_file):
    """shippingservice over its own database, converting currencies through the real
    catalog and consuming checkout.events, watching the session's fault flags."""
    postgres.create_databases(["shipping_test"])
    with _service("shippingservice", {"DATABASE_URL": postgres.url("shipping_test"), "AMQP_URL": rabbitmq.url,
                                      "CATALOG_ADDR": catalog_service.address,
                                      "FLAGS_FILE": str(session_flags_file)}, artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def session_flags_file(tmp_path_factory) -> Path:
    """The fault flags' file the session's paymentservice, shippingservice and website share
    (every flag off unless a test turns one on, and off again after)."""
    return tmp_path_factory.mktemp("session-flags") / "flags.json"


@pytest.fixture(scope="session")
def payment_service(postgres, rabbitmq, artifacts_dir, session_flags_file):
    """paymentservice over its own database, consuming checkout.events, watching the
    session's fault flags."""
    postgres.create_databases(["payment_test"])
    with _service("paymentservice", {"DATABASE_URL": postgres.url("payment_test"), "AMQP_URL": rabbitmq.url,
                                     "FLAGS_FILE": str(session_flags_file)}, artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def email_service(postgres, rabbitmq, mail_dir, artifacts_dir):
    """emailservice over its own database, consuming checkout.events and writing .eml
    files to mail_dir (no SMTP_URL)."""
    postgres.create_databases(["email_test"])
    with _service("emailservice", {"DATABASE_URL": postgres.url("email_test"), "AMQP_URL": rabbitmq.url,
                                   "MAIL_DIR": str(mail_dir)}, artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def recommendation_service(postgres, rabbitmq, catalog_service, artifacts_dir):
    """recommendationservice over its own database, learning from checkout.events and
    checking every suggestion with the real catalog."""
    postgres.create_databases(["recommendation_test"])
    with _service("recommendationservice", {"DATABASE_URL": postgres.url("recommendation_test"),
                                            "AMQP_URL": rabbitmq.url, "CATALOG_ADDR": catalog_service.address},
                  artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def checkout_service(postgres, rabbitmq, catalog_service, cart_service, shipping_service, payment_service,
                     artifacts_dir):
    """checkoutservice calling the real cart, catalog, shipping and payment services,
    publishing to and consuming from the real broker."""
    postgres.create_databases(["checkout_test"])
    with _service("checkoutservice", {
        "DATABASE_URL": postgres.url("checkout_test"), "AMQP_URL": rabbitmq.url,
        "CART_ADDR": cart_service.address, "CATALOG_ADDR": catalog_service.address,
        "SHIPPING_ADDR": shipping_service.address, "PAYMENT_ADDR": payment_service.address,
    }, artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def identity_service(postgres, artifacts_dir):
    """identityservice over its own database, with a first admin the tests know and a
    lockout short enough to watch end (tests.support.identity)."""
    postgres.create_databases(["identity_test"])
    with _service("identityservice", {
        "DATABASE_URL": postgres.url("identity_test"),
        "ADMIN_EMAIL": identity_support.ADMIN_EMAIL, "ADMIN_PASSWORD": identity_support.ADMIN_PASSWORD,
        "LOGIN_MAX_FAILURES": str(identity_support.LOGIN_MAX_FAILURES),
        "LOGIN_LOCK_SECONDS": str(identity_support.LOGIN_LOCK_SECONDS),
        "LOGIN_RATE_PER_CLIENT": identity_support.LOGIN_RATE_PER_CLIENT,
    }, artifacts_dir) as service:
        yield service


@pytest.fixture(scope="session")
def website(catalog_service, cart_service, checkout_service, shipping_service, identity_service, payment_service,
            email_service, recommendation_service, artifacts_dir, session_flags_file):
    """The website served by gunicorn (`python -m frontend`, as in production) in front of the
    session's real services; the payment and email services take part through checkout."""
    addresses = {"CATALOG_ADDR": catalog_service.address, "CART_ADDR": cart_service.address,
                 "CHECKOUT_ADDR": checkout_service.address, "SHIPPING_ADDR": shipping_service.address,
                 "IDENTITY_ADDR": identity_service.address, "PAYMENT_ADDR": payment_service.address,
                 "EMAIL_ADDR": email_service.address, "RECOMMENDATION_ADDR": recommendation_service.address}
    with Website(addresses, artifacts_dir / "frontend.log", FLAGS_FILE=str(session_flags_file)) as site:
        yield site


def _channel_to(service_fixture: str):
    """A session fixture: a gRPC channel to the service the named fixture runs."""

    @pytest.fixture(scope="session")
    def channel(request):
        with grpc.insecure_channel(request.getfixturevalue(service_fixture).address) as open_channel:
            yield open_channel

    return channel


catalog_channel = _channel_to("catalog_service")
cart_channel = _channel_to("cart_service")
shipping_channel = _channel_to("shipping_service")
payment_channel = _channel_to("payment_service")
email_channel = _channel_to("email_service")
checkout_channel = _channel_to("checkout_service")
identity_channel = _channel_to("identity_service")
recommendation_channel = _channel_to("recommendation_service")
