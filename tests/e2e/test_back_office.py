"""The back office in Chromium: an admin turns a fault flag on from /admin/flags (on a
phone too), a shopper's checkout meets the outage it makes (the website's friendly 503
page, the cart kept), and once the admin turns it off the same order goes through. The
session's paymentservice and website share one flags file (tests/conftest.py)."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from service_runtime import fault_flags
from tests.e2e.conftest import screenshot
from tests.integration.catalog_helpers import create_product
from tests.support import identity as identity_support
from tests.support import metrics
from tests.support.services import wait_until


def sign_in_as_admin(page) -> None:
    page.goto("/login?next=/admin/flags")
    page.get_by_label("Email address").fill(identity_support.ADMIN_EMAIL)
    page.get_by_label("Password").fill(identity_support.ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fault flags")


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
