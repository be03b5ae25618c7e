"""The gateway: real KrakenD in front of the real services' HTTP facades."""
from __future__ import annotations

import pytest

from devstack.krakend import temporary_gateway
from tests.support.gateway import Gateway
from tests.support.http import request
from tests.support.net import free_port, wait_for_port
from tests.support.services import wait_until


@pytest.fixture(scope="session")
def gateway(catalog_service, cart_service, checkout_service, shipping_service, identity_service, artifacts_dir):
    """KrakenD on a free loopback port with fresh signing keys, routing to the session's
    services (the email and payment services take part through checkout's events)."""
    port = free_port()
    backends = {service.module: service.http_url
                for service in (catalog_service, cart_service, checkout_service, shipping_service, identity_service)}
    log_path = artifacts_dir / "krakend.log"
    with temporary_gateway(port, backends, log_path) as (keys_dir, process):
        try:
            wait_for_port(port, timeout=30)
            wait_until(lambda: request("GET", f"http://127.0.0.1:{port}/__health").status == 200, 30, "gateway health")
        except TimeoutError:
            pytest.fail(f"krakend did not start (exit code {process.poll()}):\n{log_path.read_text()[-4000:]}")
        yield Gateway(f"http://127.0.0.1:{port}", keys_dir, log_path)
        assert process.poll() is None, f"krakend exited during the tests:\n{log_path.read_text()[-4000:]}"
