"""The website's access lines follow CALL_LOG as the services' do: every request by
default; with `failed`, only answers of 400 and above; with `slow`, those and the requests
that took CALL_LOG_SLOW_MS or more. Over the real app, its routes made here."""
import logging
import time

import pytest

from frontend import create_app
from frontend.config import Config, load
from service_runtime.call_log import CallLog
from service_runtime.config import Env


def app_logging(call_log: CallLog):
    config = Config(catalog_addr="127.0.0.1:1", cart_addr="127.0.0.1:1", checkout_addr="127.0.0.1:1",
                    shipping_addr="127.0.0.1:1", identity_addr="127.0.0.1:1", secret_key="test-only-" + "x" * 32,
                    call_log=call_log)
    app = create_app(config)

    @app.get("/_quick")
    def quick():
        return "ok"

    @app.get("/_slow")
    def slow():
        time.sleep(0.06)
        return "ok"

    return app


@pytest.fixture
def logged(caplog):
    apps = []

    def requests(call_log: CallLog, *paths: str) -> list[tuple[str, int]]:
        app = app_logging(call_log)
        apps.append(app)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="frontend.requests"):
            for path in paths:
                app.test_client().get(path)
        return [(r.route, r.status) for r in caplog.records if r.name == "frontend.requests"]

    yield requests
    for app in apps:
        app.extensions["backends"].close()


def test_every_request_has_its_line_by_default(logged):
    assert logged(CallLog(), "/_quick", "/no-such-page") == [("/_quick", 200), ("unmatched", 404)]


def test_failed_keeps_only_the_answers_of_400_and_above(logged):
    assert logged(CallLog("failed"), "/_quick", "/_slow", "/no-such-page") == [("unmatched", 404)]


def test_slow_keeps_the_slow_requests_too(logged):
    assert logged(CallLog("slow", 50), "/_quick", "/_slow", "/no-such-page") == [("/_slow", 200), ("unmatched", 404)]


def test_the_website_reads_the_same_settings_as_the_services():
    env = Env({"CATALOG_ADDR": "h:1", "CART_ADDR": "h:1", "CHECKOUT_ADDR": "h:1", "SHIPPING_ADDR": "h:1",
               "IDENTITY_ADDR": "h:1", "SECRET_KEY": "k" * 40, "CALL_LOG": "slow", "CALL_LOG_SLOW_MS": "80"})
    assert load(env).call_log == CallLog("slow", 80.0)
