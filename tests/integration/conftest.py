"""Fixtures several modules share: the gateway (real KrakenD in front of the real services'
HTTP facades), and a catalogservice that writes its spans to a file."""
from __future__ import annotations

import pytest

from devstack.krakend import temporary_gateway
from tests.support import scale
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.net import free_port, wait_for_port
from tests.support.services import ServiceProcess, wait_until


@pytest.fixture(scope="session")
def gateway(catalog_service, cart_service, checkout_service, shipping_service, identity_service,
            recommendation_service, artifacts_dir):
    """KrakenD on a free loopback port with fresh signing keys, routing to the session's
    services (the email and payment services take part through checkout's events)."""
    port = free_port()
    backends = {service.module: service.http_url
                for service in (catalog_service, cart_service, checkout_service, shipping_service, identity_service,
                                recommendation_service)}
    log_path = artifacts_dir / "krakend.log"
    with temporary_gateway(port, backends, log_path) as (keys_dir, process):
        try:
            wait_for_port(port, timeout=30)
            wait_until(lambda: request("GET", f"http://127.0.0.1:{port}/__health").status == 200, 30, "gateway health")
        except TimeoutError:
            pytest.fail(f"krakend did not start (exit code {process.poll()}):\n{log_path.read_text()[-4000:]}")
        yield Gateway(f"http://127.0.0.1:{port}", keys_dir, log_path)
        assert process.poll() is None, f"krakend exited during the tests:\n{log_path.read_text()[-4000:]}"


@pytest.fixture(scope="session")
def frontend_config(catalog_service, cart_service, checkout_service, shipping_service, identity_service,
                    payment_service, email_service, recommendation_service):
    """The website's configuration, pointing at the session's real services."""
    from frontend.config import Config

    return Config(catalog_addr=catalog_service.address, cart_addr=cart_service.address,
                  checkout_addr=checkout_service.address, shipping_addr=shipping_service.address,
                  identity_addr=identity_service.address, secret_key="test-only-" + "x" * 32, rpc_timeout=5.0,
                  payment_addr=payment_service.address, email_addr=email_service.address,
                  recommendation_addr=recommendation_service.address)


@pytest.fixture(scope="session")
def frontend_app(frontend_config):
    """The Flask app over the real services (Flask's test client talks to it in-process)."""
    from frontend import create_app

    app = create_app(frontend_config)
    app.config.update(TESTING=True)
    yield app
    app.extensions["backends"].close()


@pytest.fixture
def web(frontend_app):
    """A fresh visitor: a test client with its own cookies."""
    return frontend_app.test_client()


@pytest.fixture(scope="module")
def traced_catalog(postgres, rabbitmq, artifacts_dir, tmp_path_factory):
    """A catalogservice of the module's own (own database, own RabbitMQ vhost) with tracing
    on, writing its spans to a file: (the service, the file)."""
    with scale.own_backing(postgres, rabbitmq, "traced", ("catalog",)) as backing:
        trace_file = tmp_path_factory.mktemp("traces") / "spans.jsonl"
        service = ServiceProcess("catalogservice", {
            "DATABASE_URL": backing.databases["catalog"], "AMQP_URL": backing.amqp_url,
            "SHOP_TRACE_FILE": str(trace_file), "OTEL_EXPORTER_OTLP_ENDPOINT": "",
        }, artifacts_dir / f"catalogservice-traced-{backing.suffix}.log")
        with service:
            yield service, trace_file
