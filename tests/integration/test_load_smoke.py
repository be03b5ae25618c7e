"""A short load test in every `make test`: locust (as a child process) drives the session's
website and gateway with both mixes of tests/load/locustfile.py, and no request may fail."""
from __future__ import annotations

from pathlib import Path

from tests.integration.catalog_helpers import create_product, usd
from tests.load.run import run_locust

REPO = Path(__file__).resolve().parents[2]
SECONDS = 25


def test_shoppers_on_the_website_and_the_api_place_orders_and_nothing_fails(website, gateway, catalog_channel):
    # Products of the test's own with stock to spare, so the shoppers neither run the demo
    # products out of stock for other tests nor depend on what those tests left.
    products = [create_product(catalog_channel, stock=1_000_000, name=f"Load Item {n}", price=usd(12 + n),
                               categories=("home",)).id for n in range(4)]

    # The session's identityservice allows 30 sign-ins a second from one address and no
    # limit a minute (tests/support/identity.py): pace the shoppers' sign-ins under it. API
    # tokens are refreshed every 8 s instead of after 11 minutes, so the run refreshes.
    outcome = run_locust(["WebsiteShopper", "ApiShopper"], count=10, spawn_rate=10, seconds=SECONDS,
                         csv_prefix=REPO / "test-artifacts" / "loadtest-smoke" / "smoke",
                         web_host=website.url, api_host=gateway.url,
                         env={"LOADTEST_PRODUCTS": ",".join(products), "LOADTEST_WAIT": "0.1,0.5",
                              "LOADTEST_SIGNINS_PER_MINUTE": "600", "LOADTEST_SIGNIN_BURST": "10",
                              "LOADTEST_TOKEN_REFRESH_SECONDS": "8"})

    total = outcome.total
    assert total is not None, outcome.output[-3000:]
    assert total.failures == 0 and outcome.exit_code == 0, \
        f"{outcome.too_many.line()}\n{outcome.failures_text() or outcome.output[-3000:]}"
    website_checkouts, api_orders = outcome.row("/checkout", "POST"), outcome.row("/api/v1/orders", "POST")
    assert website_checkouts and website_checkouts.succeeded > 0, "no checkout on the website"
    assert api_orders and api_orders.succeeded > 0, "no order through the API"
    refreshes = outcome.row("/api/v1/token/refresh", "POST")
    assert refreshes and refreshes.succeeded > 0, "no API shopper refreshed its tokens"
    assert total.requests > 200, total
