"""Suggestions on the website (issue 18), over the real recommendationservice learning from
the real event pipeline: once orders pair A with B, A's page says customers who bought it
also bought B, the cart with A suggests B, and an order's page suggests too; with the
service away the pages render without suggestions (150 ms deadline)."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from frontend import create_app
from service_runtime import topology
from tests.integration.catalog_helpers import create_product
from tests.integration.recommendation_helpers import order_of, placed, shipped, wait_for_recommendations
from tests.integration.test_frontend_cart import add
from tests.integration.test_frontend_checkout import placed_order_id, submit
from tests.support import events
from tests.support.net import free_port


@pytest.fixture
def pair(catalog_channel, recommendation_channel, rabbitmq):
    """Two products that two shipped orders bought together (the events as checkout sends them)."""
    lamp = create_product(catalog_channel, stock=50, name="Suggested Lamp", categories=("home",))
    shade = create_product(catalog_channel, stock=50, name="Suggested Shade", categories=("home",))
    for _ in range(2):
        order = order_of((lamp.id, 1), (shade.id, 1))
        events.publish(rabbitmq.url, topology.CHECKOUT_EVENTS, placed(order), shipped(order))
    wait_for_recommendations(recommendation_channel, lambda found: (shade.id, "RECOMMENDATION_REASON_BOUGHT_TOGETHER")
                             in found, product_id=lamp.id)
    return lamp, shade


def section(page: str) -> str:
    match = re.search(r'<section class="related suggestions".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_a_products_page_says_what_customers_also_bought(web, pair):
    lamp, shade = pair
    shown = section(web.get(f"/products/{lamp.id}").text)
    assert "Customers who bought this also bought" in shown and f'href="/products/{shade.id}"' in shown
    assert f'href="/products/{lamp.id}"' not in shown


def test_the_cart_and_the_order_page_suggest_too(web, pair):
    lamp, shade = pair
    add(web, lamp.id)
    cart = section(web.get("/cart").text)
    assert f'href="/products/{shade.id}"' in cart
    order_page = web.get(f"/orders/{placed_order_id(submit(web))}").text
    assert section(order_page) and f'href="/products/{lamp.id}"' not in section(order_page)


def test_without_the_service_pages_render_without_suggestions(frontend_config, pair):
    lamp, _ = pair
    app = create_app(replace(frontend_config, recommendation_addr=f"127.0.0.1:{free_port()}"))
    app.config.update(TESTING=True)
    try:
        client = app.test_client()
        page = client.get(f"/products/{lamp.id}")
        assert page.status_code == 200 and not section(page.text) and lamp.name in page.text
        add(client, lamp.id)
        cart = client.get("/cart")
        assert cart.status_code == 200 and not section(cart.text)
    finally:
        app.extensions["backends"].close()
