"""The website's frame: sessions, CSRF, error pages, health and robots, static files,
and how a service that is away turns into a page."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Blueprint

from frontend import backends, create_app
from shop.catalog.v1 import catalog_pb2
from tests.support.net import free_port

COOKIE = "shop_session-id"


def session_cookie(response):
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")), None)


def test_a_visitor_gets_a_session_id_cookie_once(web):
    first = web.get("/robots.txt")  # no session for robots
    assert session_cookie(first) is None
    page = web.get("/no-such-page")
    cookie = session_cookie(page)
    assert cookie and re.match(COOKIE + r"=[0-9a-f-]{36};", cookie)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path"} <= attributes and "samesite=lax" in cookie.lower() and "secure" not in attributes
    assert session_cookie(web.get("/no-such-page")) is None  # kept, not reissued


def test_the_session_cookie_is_secure_over_https(frontend_app):
    client = frontend_app.test_client()
    cookie = session_cookie(client.get("/no-such-page", base_url="https://shop.example"))
    assert "secure" in cookie.lower()


def test_a_forged_session_id_is_replaced(web):
    web.set_cookie(COOKIE, "not-a-uuid")
    assert session_cookie(web.get("/no-such-page"))


def test_health_checks_create_no_session(web):
    reply = web.get("/_healthz")
    assert reply.status_code == 200 and reply.get_json() == {"status": "ok"}
    assert session_cookie(reply) is None


def test_robots_txt(web):
    reply = web.get("/robots.txt")
    assert reply.status_code == 200 and reply.mimetype == "text/plain" and "Disallow: /cart" in reply.text


def test_a_missing_page_is_a_friendly_404(web):
    reply = web.get("/no-such-page")
    assert reply.status_code == 404 and "We could not find that page" in reply.text
    assert "Traceback" not in reply.text


def test_static_files_are_served_with_caching_headers(web):
    reply = web.get("/static/css/shop.css")
    assert reply.status_code == 200 and "max-age=86400" in reply.headers["Cache-Control"]


def test_request_ids_are_echoed_or_made(web):
    assert web.get("/robots.txt", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", web.get("/robots.txt", headers={"X-Request-Id": "bad id"}).headers["X-Request-Id"])


@pytest.fixture
def app_with_probe(frontend_config):
    """The app with one extra route that asks the catalog for a product, so the test can
    see how a service's answer becomes a page."""
    def make(config):
        app = create_app(config)
        probe = Blueprint("probe", __name__)

        @probe.get("/_probe/<product_id>")
        def product(product_id):
            return backends().catalog.GetProduct(catalog_pb2.GetProductRequest(id=product_id)).product.name

        @probe.post("/_probe")
        def form():
            return "accepted"

        app.register_blueprint(probe)
        return app
    return make


def test_a_post_needs_its_csrf_token(app_with_probe, frontend_config):
    client = app_with_probe(frontend_config).test_client()
    refused = client.post("/_probe", data={"x": "1"})
    assert refused.status_code == 400 and "This form had expired" in refused.text
    page = client.get("/no-such-page").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "every page carries the token in its sign-out or currency forms"
    assert client.post("/_probe", data={"csrf_token": token.group(1)}).text == "accepted"


def test_a_service_answer_becomes_the_page(app_with_probe, frontend_config):
    client = app_with_probe(frontend_config).test_client()
    assert client.get("/_probe/stoneware-mug").text == "Stoneware Mug"
    missing = client.get("/_probe/no-such-product")
    assert missing.status_code == 404 and "We could not find that page" in missing.text


def test_a_service_that_is_away_gives_a_503_page_that_says_so(app_with_probe, frontend_config):
    away = replace(frontend_config, catalog_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    reply = app_with_probe(away).test_client().get("/_probe/stoneware-mug")
    assert reply.status_code == 503
    assert "We cannot reach the product catalog right now" in reply.text and "Traceback" not in reply.text


def test_the_cart_count_hides_when_the_cart_service_is_away(app_with_probe, frontend_config):
    away = replace(frontend_config, cart_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    page = app_with_probe(away).test_client().get("/no-such-page")
    assert page.status_code == 404 and 'class="count"' not in page.text
    shown = app_with_probe(frontend_config).test_client().get("/no-such-page")
    assert 'class="count"' in shown.text


def test_the_currency_choice_is_kept_in_a_cookie(web):
    page = web.get("/no-such-page").text
    assert '<option value="EUR"' in page and '<option value="USD" selected>' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    chosen = web.post("/currency", data={"csrf_token": token, "currency_code": "EUR", "next": "/search?q=mug"})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/search?q=mug"
    assert '<option value="EUR" selected>' in web.get("/no-such-page").text


@pytest.mark.parametrize("code, target", [("XXX", "/"), ("EUR", "https://evil.example/"), ("EUR", "//evil.example")])
def test_an_unknown_currency_or_a_foreign_target_is_not_followed(web, code, target):
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/no-such-page").text).group(1)
    reply = web.post("/currency", data={"csrf_token": token, "currency_code": code, "next": target})
    assert reply.status_code == 303 and reply.headers["Location"] == "/"
    assert ("shop_currency" in " ".join(reply.headers.getlist("Set-Cookie"))) == (code == "EUR")


def test_requests_are_counted_by_route_template_with_bounded_labels(web):
    from prometheus_client import REGISTRY

    def counted(**labels) -> float:
        return REGISTRY.get_sample_value("http_server_requests_total", labels) or 0.0

    robots, unmatched = counted(method="GET", route="/robots.txt", status="200"), \
        counted(method="GET", route="unmatched", status="404")
    invented = counted(method="other", route="unmatched", status="405")
    web.get("/robots.txt")
    web.get(f"/no-such-page-{free_port()}")
    web.open("/robots.txt", method="BREW")
    assert counted(method="GET", route="/robots.txt", status="200") == robots + 1
    assert counted(method="GET", route="unmatched", status="404") == unmatched + 1, "not one series per path"
    assert counted(method="other", route="unmatched", status="405") == invented + 1, "nor one per invented method"
