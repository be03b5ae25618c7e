"""What the load shoppers read from the website's HTML: the CSRF token every form carries,
a form's fields as the browser would post them, and the messages a page shows. Pure."""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ORDER_PATH = re.compile(r"/orders/([A-Za-z0-9._~-]{1,64})$")
_ALERT = re.compile(r'<p class="flash flash-error"[^>]*>(.*?)</p>', re.S)
_FIELD_ERROR = re.compile(r'<p class="field-error[^"]*"[^>]*>(.*?)</p>', re.S)


def csrf_token(html: str) -> str | None:
    """The page's CSRF token (every form on a page carries the same one)."""
    found = _CSRF.search(html)
    return unescape(found.group(1)) if found else None


def order_id_in(location: str) -> str | None:
    """The order id a checkout redirect points to (`/orders/<id>`), or None."""
    found = _ORDER_PATH.search(location.split("?", 1)[0])
    return found.group(1) if found else None


def problems(html: str) -> str:
    """The error messages a page shows (the form's problem and its fields'), for a
    failure's description."""
    texts = [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", m))).strip()
             for m in _ALERT.findall(html) + _FIELD_ERROR.findall(html)]
    return "; ".join(t for t in texts if t) or "no message on the page"


class _FormReader(HTMLParser):
    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("action") == self.action and not self.found:
            self.inside = self.found = True
        elif tag == "input" and self.inside and attributes.get("name") and "disabled" not in attributes:
            self.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict[str, str] | None:
    """The named inputs of the first form posting to `action`, with the values the page
    filled in; None when the page has no such form."""
    reader = _FormReader(action)
    reader.feed(html)
    return reader.fields if reader.found else None
