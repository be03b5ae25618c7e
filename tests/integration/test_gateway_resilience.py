"""The gateway's timeouts and circuit breakers, against a stand-in backend whose speed and
presence the test controls (what is under test here is KrakenD, with the shop's
configuration): a backend slower than its endpoint's timeout is cut off at that timeout,
and a backend that keeps failing is left alone once its breaker opens."""
from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time

import pytest

from devstack import krakend
from tests.support.http import request
from tests.support.net import free_port, wait_for_port
from tests.support.services import wait_until

# krakend.json: the product list's "timeout".
CATALOG_TIMEOUT = float(next(e for e in krakend.load()["endpoints"]
                             if e["endpoint"] == "/api/v1/products")["timeout"].removesuffix("s"))
MAX_ERRORS = 5         # krakend.json: the breakers' "maxErrors" (it opens on the one after)


class StandIn(http.server.ThreadingHTTPServer):
    """Answers every GET with an empty product list after `delay` seconds, counting calls."""
    daemon_threads = True

    def __init__(self, port: int, delay: float = 0.0):
        self.delay, self.calls = delay, 0

        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.calls += 1
                time.sleep(server.delay)
                body = json.dumps({"products": [], "nextPageToken": ""}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", port), Handler)


@contextlib.contextmanager
def serving(port: int, delay: float = 0.0):
    server = StandIn(port, delay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway_to(tmp_path):
    """A gateway whose every backend is http://127.0.0.1:<backend_port>; yields (url, backend_port, log)."""
    backend_port, port = free_port(), free_port()
    log_path = tmp_path / "krakend.log"
    urls = {service: f"http://127.0.0.1:{backend_port}" for service in krakend.DEFAULT_PORTS}
    with krakend.temporary_gateway(port, urls, log_path):
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", backend_port, log_path


def test_a_backend_slower_than_the_endpoint_timeout_is_cut_off(gateway_to):
    url, backend_port, _ = gateway_to
    with serving(backend_port, delay=CATALOG_TIMEOUT + 3):
        started = time.monotonic()
        reply = request("GET", f"{url}/api/v1/products", timeout=30)
        elapsed = time.monotonic() - started
    # Our lura patch: 504 with the services' JSON error body (1.4.1 itself: an empty 500).
    assert reply.status == 504 and reply.json()["error"]["status"] == "DEADLINE_EXCEEDED", reply
    assert CATALOG_TIMEOUT - 0.2 <= elapsed < CATALOG_TIMEOUT + 1.5, elapsed


def test_a_failing_backend_is_left_alone_once_its_breaker_opens(gateway_to):
    url, backend_port, log_path = gateway_to
    # Nothing listens on the backend's port: every call fails, until the breaker opens.
    # Each is a 503 with the JSON error body (our lura patch; 1.4.1 itself: an empty 500).
    for _ in range(MAX_ERRORS + 1):
        refused = request("GET", f"{url}/api/v1/products")
        assert refused.status == 503 and refused.json()["error"]["status"] == "UNAVAILABLE", refused
    wait_until(lambda: "went from 'closed' to 'open'" in log_path.read_text(), 5, "the breaker opening")
    with serving(backend_port) as backend:
        # The backend is back, but the breaker is open (for 10 s): calls do not reach it.
        for _ in range(5):
            assert request("GET", f"{url}/api/v1/products").status == 503
        assert backend.calls == 0
        # Another endpoint has a breaker of its own, closed: it reaches the backend.
        assert request("GET", f"{url}/api/v1/categories").status == 200
        assert backend.calls == 1


def test_the_gateway_sends_no_usage_report_to_the_internet(gateway):
    """KrakenD 1.4 reports usage to usage.krakend.io five seconds after it starts, unless
    USAGE_DISABLE=1 (devstack.krakend.environment); nothing in the shop reaches out."""
    log = wait_until(lambda: "usage report client" in (text := gateway.log_path.read_text()) and text, 15,
                     "KrakenD's usage-report line")
    assert "usage report client disabled" in log
    assert "registering usage stats" not in log


def test_a_sign_in_whose_service_cannot_be_reached_is_a_503_with_the_json_error_body(gateway_to):
    """The signing endpoints (KrakenD's signer) too: 1.4.0 answered an empty 400; our
    krakend-jose patch answers as every other endpoint does."""
    url, _, _ = gateway_to  # nothing listens on the backends' port
    reply = request("POST", f"{url}/api/v1/login", {"email": "ada@example.com", "password": "correct horse"})
    assert reply.status == 503, (reply.status, reply.body)
    assert reply.json()["error"]["status"] == "UNAVAILABLE"
