"""The currencies a visitor may choose, asked of the catalog once in a while (the list
changes only with a new rate snapshot), and the choice kept in a cookie."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, g, redirect, request

from shop.catalog.v1 import currency_pb2

from frontend.clients import BackendError

COOKIE = "shop_currency"
REFRESH_SECONDS = 300

bp = Blueprint("currencies", __name__)


def supported() -> list[str]:
    """The catalog's currency codes (cached per process); just the current one when the
    catalog cannot say, so the page still renders."""
    cache = current_app.extensions.setdefault("currencies", {"codes": [], "at": 0.0})
    if not cache["codes"] or time.monotonic() - cache["at"] > REFRESH_SECONDS:
        from frontend import backends
        try:
            reply = backends().catalog.ListSupportedCurrencies(currency_pb2.ListSupportedCurrenciesRequest())
        except BackendError:
            return cache["codes"] or [g.currency]
        cache.update(codes=sorted(reply.currency_codes), at=time.monotonic())
    return cache["codes"]


def safe_next(target: str | None) -> str:
    """A same-site path to return to; anything else (another host, a scheme) goes home. Pure."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@bp.post("/currency")
def choose():
    code = request.form.get("currency_code", "")
    response = redirect(safe_next(request.form.get("next")), code=303)
    if code in supported():
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response
