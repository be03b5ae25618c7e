"""Which visitor address the website hands the services (for their per-client limits):
the peer by default, whatever a browser writes in X-Forwarded-For; behind proxies the
website is told about (TRUSTED_PROXY_HOPS), only the address those proxies wrote."""
import pytest
from flask import jsonify

from frontend import _outgoing_metadata, create_app
from frontend.config import Config

FORGED = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7"}


@pytest.fixture
def who(request):
    config = Config(catalog_addr="127.0.0.1:1", cart_addr="127.0.0.1:1", checkout_addr="127.0.0.1:1",
                    shipping_addr="127.0.0.1:1", identity_addr="127.0.0.1:1", secret_key="test-only-" + "x" * 32,
                    trusted_proxy_hops=request.param)
    app = create_app(config)

    @app.get("/_who")
    def address():
        return jsonify(dict(_outgoing_metadata()).get("x-forwarded-for"))

    yield app.test_client()
    app.extensions["backends"].close()


@pytest.mark.parametrize("who", [0], indirect=True)
def test_reached_directly_the_peer_is_the_visitor_whatever_the_header_says(who):
    assert who.get("/_who", headers=FORGED, environ_base={"REMOTE_ADDR": "192.0.2.9"}).json == "192.0.2.9"


@pytest.mark.parametrize("who", [1], indirect=True)
def test_behind_one_proxy_the_address_it_wrote_counts_and_nothing_left_of_it(who):
    assert who.get("/_who", headers=FORGED, environ_base={"REMOTE_ADDR": "10.0.0.2"}).json == "203.0.113.7"
