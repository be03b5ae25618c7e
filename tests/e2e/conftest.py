"""End to end: Debian's Chromium, driven by Playwright, against the website served by
gunicorn in front of the real services (the `website` and `browser` fixtures, in
tests/conftest.py).
Screenshots of the main pages land in test-artifacts/screenshots/."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
@pytest.fixture
def page(browser, website):
    """A new visitor (fresh cookies) with the website as base URL."""
    context = browser.new_context(base_url=website.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser, website):
    context = browser.new_context(base_url=website.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
