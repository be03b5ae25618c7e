"""The back office in Chromium: an admin turns a fault flag on from /admin/flags (on a
phone too), a shopper's checkout meets the outage it makes (the website's friendly 503
page, the cart kept), and once the admin turns it off the same order goes through. And the
whole round: an admin adds a product with a picture, a shopper buys it, the admin cancels
and refunds the order, and the shopper's order page says so. The session's paymentservice,
shippingservice and website share one flags file (tests/conftest.py)."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from service_runtime import fault_flags
from tests.e2e.conftest import screenshot
from tests.integration.catalog_helpers import create_product
from tests.integration.test_catalog_images import png
from tests.support import identity as identity_support
from tests.support import metrics
from tests.support.services import wait_until


def sign_in_as_admin(page, then: str = "/admin/flags", heading: str = "Fault flags") -> None:
    page.goto(f"/login?next={then}")
    page.get_by_label("Email address").fill(identity_support.ADMIN_EMAIL)
    page.get_by_label("Password").fill(identity_support.ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def flag_active(payment_service) -> float:
    return metrics.value(payment_service.http_url, "shop_fault_flag_active", flag="paymentUnavailable")


def test_an_admin_turns_payment_off_and_on_and_a_shopper_meets_it(page, phone, catalog_channel, session_flags_file,
                                                                   payment_service):
    product = create_product(catalog_channel, stock=5, name=f"Oak Cheese Board {uuid.uuid4().hex[:6]}")
    admin = phone  # the back office on a phone
    sign_in_as_admin(admin)
    screenshot(admin, "admin-flags-phone")
    try:
        row = admin.locator("#flag-paymentUnavailable")
        row.get_by_role("button", name="Turn on").click()
        expect(admin.locator(".flash").first).to_contain_text("paymentUnavailable is on")
        expect(row.locator(".flag-state")).to_have_text("on")
        screenshot(admin, "admin-flag-on-phone")
        wait_until(lambda: flag_active(payment_service) == 1, 10, "paymentservice seeing the flag")

        page.goto(f"/products/{product.id}")
        page.get_by_role("button", name="Add to cart").click()
        expect(page).to_have_url(re.compile(r"/cart$"))
        page.get_by_label("Email").fill("flagged-shopper@example.com")
        page.get_by_role("button", name=re.compile("Place order")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Part of the shop is taking a break")
        expect(page.locator("main")).to_contain_text("checkout and orders")
        screenshot(page, "checkout-payment-unavailable")

        row.get_by_role("button", name="Turn off").click()
        expect(row.locator(".flag-state")).to_have_text("off")
    finally:
        fault_flags.write(session_flags_file, {flag.name: flag.off for flag in fault_flags.FLAGS})
    wait_until(lambda: flag_active(payment_service) == 0, 10, "paymentservice seeing the flag off")
    page.goto("/cart")
    page.get_by_label("Email").fill("flagged-shopper@example.com")
    page.get_by_role("button", name=re.compile("Place order")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")


def test_a_customer_is_refused_everywhere_under_admin(page, identity_channel):
    email = identity_support.unique_email("not-admin")
    identity_support.register(identity_channel, email)
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(identity_support.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    for path in ("/admin", "/admin/flags"):
        reply = page.goto(path)
        assert reply.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("This part of the shop is for its staff")
    screenshot(page, "admin-refused")


def shipping_paused(shipping_service) -> float:
    return metrics.value(shipping_service.http_url, "shop_fault_flag_active", flag="consumerPaused")


def test_an_admin_adds_a_pictured_product_a_shopper_buys_it_and_the_admin_refunds_it(
        page, browser, website, tmp_path, session_flags_file, shipping_service):
    picture = tmp_path / "brass-lamp.png"
    picture.write_bytes(png(width=64, height=64, seed=uuid.uuid4().int))
    name = f"Brass Desk Lamp {uuid.uuid4().hex[:6]}"
    context = browser.new_context(base_url=website.url, viewport={"width": 1280, "height": 900})
    admin = context.new_page()
    admin.set_default_timeout(15_000)
    admin.on("dialog", lambda dialog: dialog.accept())  # the cancel form asks to confirm
    try:
        sign_in_as_admin(admin, "/admin/products/new", "New product")
        admin.get_by_label("Name", exact=True).fill(name)
        admin.get_by_label("Description").fill("Solid brass, warm light, made to last.")
        admin.get_by_label("Price in USD").fill("64.50")
        admin.get_by_label("Kitchen").check()
        admin.get_by_label("Units in stock").fill("4")
        admin.get_by_label("Image").set_input_files(str(picture))
        admin.get_by_role("button", name="Create the product").click()
        expect(admin.locator(".flash").first).to_contain_text(f"{name} is in the shop")
        product_id = admin.url.rsplit("/", 1)[1]
        screenshot(admin, "admin-product-created")

        # Shipments wait (the consumerPaused flag), so the order can still be cancelled.
        fault_flags.write(session_flags_file, {"consumerPaused": "shipping"})
        wait_until(lambda: shipping_paused(shipping_service) == 1, 10, "shippingservice pausing its consumer")

        page.goto(f"/products/{product_id}")
        picture_shown = page.locator('main img[src^="/images/products/u-"]').first
        expect(picture_shown).to_be_visible()
        assert picture_shown.evaluate("img => img.complete && img.naturalWidth") == 64
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_label("Email").fill("lamp-buyer@example.com")
        page.get_by_role("button", name=re.compile("Place order")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")
        order_id = page.url.rsplit("/", 1)[1]
        expect(page.locator("#order-status")).to_contain_text("Paid", timeout=20_000)

        admin.goto("/admin/orders?email=lamp-buyer@example.com")
        admin.get_by_role("link", name=order_id).click()
        admin.get_by_label("Why (the customer's email says it)").fill("the lamp was damaged in the warehouse")
        admin.get_by_role("button", name="Cancel and refund").click()
        expect(admin.locator(".flash").first).to_contain_text(f"Order {order_id} is cancelled")

        expect(page.locator("#order-status")).to_contain_text(
            "Cancelled and refunded: the lamp was damaged in the warehouse", timeout=20_000)
        screenshot(page, "order-refunded")
        admin.reload()
        expect(admin.locator(".order-history")).to_contain_text("Refunded")
        expect(admin.locator(".payment")).to_contain_text("Refunded: Visa ending 4242")
        screenshot(admin, "admin-order-refunded")
        admin.set_viewport_size({"width": 390, "height": 844})  # and on a phone
        for path, shot in (("/admin/orders?email=lamp-buyer@example.com", "admin-orders-phone"),
                           (f"/admin/products?q={name.split()[-1]}", "admin-products-phone"),
                           ("/admin/audit", "admin-audit-phone")):
            admin.goto(path)
            assert admin.evaluate("document.documentElement.scrollWidth") <= 390, path
            screenshot(admin, shot)
    finally:
        fault_flags.write(session_flags_file, {flag.name: flag.off for flag in fault_flags.FLAGS})
        context.close()
    wait_until(lambda: shipping_paused(shipping_service) == 0, 10, "shippingservice consuming again")
