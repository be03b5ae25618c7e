"""The journeys a person takes through a running shop, wherever it runs (compose, the local
Kubernetes cluster): a shopper in Chromium from the home page to a shipped order, with every
product image loaded."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.support.http import request

CHROMIUM = "/usr/bin/chromium"
# Headless, as root, and quiet: no calls to Google's services from this closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright. Playwright's sync API keeps an event loop
    running while it is started, so stop it when done: tests elsewhere use asyncio.run()."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def buy_on_the_website(browser, website_url: str, screenshots: Path) -> None:
    """Home page (each product image must load and draw), a product, the cart, an order
    placed as a guest, and the order page polling until it says Shipped. Screenshots of the
    home page and the shipped order go to screenshots/."""
    screenshots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=website_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("All products")
        # The cards' images load lazily: load them all, then each must have drawn something.
        page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
        page.wait_for_function("[...document.images].every(img => img.complete)")
        images = page.eval_on_selector_all(".product-card img", "els => els.map(e => [e.src, e.naturalWidth])")
        assert images, "the home page shows no product images"
        for src, width in images:
            reply = request("GET", src)
            assert reply.status == 200 and reply.headers["Content-Type"].startswith("image/"), (src, reply.status)
            assert width > 0, f"{src} did not render"
        page.screenshot(path=str(screenshots / "home.png"), full_page=True)

        page.locator(".product-card a").first.click()
        page.get_by_role("button", name="Add to cart").click()
        expect(page).to_have_url(re.compile(r"/cart$"))
        page.get_by_role("button", name=re.compile("Place order")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")
        expect(page.locator("#order-status")).to_have_text("Shipped", timeout=60_000)  # the page polls
        page.screenshot(path=str(screenshots / "order-shipped.png"), full_page=True)
    finally:
        context.close()
