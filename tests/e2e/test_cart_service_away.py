"""The cart service stops while a visitor browses: the rest of the shop keeps working (the
home page renders, without the cart count), and the cart page says what is away (503).
This website has a cart service of its own, so stopping it touches no other test."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.support.services import ServiceProcess
from tests.support.website import Website


def test_the_shop_keeps_working_while_the_cart_service_is_stopped(browser, redis_server, catalog_service,
                                                                 checkout_service, shipping_service,
                                                                 identity_service, artifacts_dir):
    cart = ServiceProcess("cartservice", {"REDIS_URL": redis_server.url, "CATALOG_ADDR": catalog_service.address},
                          artifacts_dir / "cartservice-e2e.log").start()
    addresses = {"CATALOG_ADDR": catalog_service.address, "CART_ADDR": cart.address,
                 "CHECKOUT_ADDR": checkout_service.address, "SHIPPING_ADDR": shipping_service.address,
                 "IDENTITY_ADDR": identity_service.address}
    try:
        with Website(addresses, artifacts_dir / "frontend-cart-away.log", RPC_TIMEOUT_SECONDS="1") as site:
            context = browser.new_context(base_url=site.url)
            page = context.new_page()
            page.goto("/")
            expect(page.locator(".cart-link .count")).to_have_text("0")

            cart.stop()
            response = page.goto("/")
            assert response.status == 200
            expect(page.get_by_role("heading", level=1)).to_have_text("All products")
            expect(page.locator(".product-card").first).to_be_visible()
            expect(page.locator(".cart-link .count")).to_have_count(0)
            expect(page.get_by_role("link", name="Cart")).to_be_visible()

            response = page.goto("/cart")
            assert response.status == 503
            expect(page.get_by_role("heading", level=1)).to_have_text("Part of the shop is taking a break")
            expect(page.locator("main")).to_contain_text("We cannot reach the shopping cart right now")
            screenshot(page, "cart-service-away")

            response = page.goto("/products/stoneware-mug")  # browsing still works
            assert response.status == 200
            context.close()
    finally:
        cart.stop()
