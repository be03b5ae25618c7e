"""The frame every page shares, in a real browser."""
from __future__ import annotations

from tests.e2e.conftest import screenshot


def test_a_missing_page_is_friendly_and_the_visitor_gets_a_session(page):
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "We could not find that page"
    cookie = next(c for c in page.context.cookies() if c["name"] == "shop_session-id")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    screenshot(page, "not-found")


def test_choosing_a_currency_sticks(page):
    page.goto("/no-such-page")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_role("button", name="Set").click()
    page.wait_for_load_state()
    assert page.get_by_label("Currency").input_value() == "EUR"
    page.goto("/no-such-page")
    assert page.get_by_label("Currency").input_value() == "EUR"
