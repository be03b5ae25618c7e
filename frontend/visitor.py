"""Who is visiting: every visitor gets a session id (cookie `shop_session-id`, a random
UUID) that owns the anonymous cart; a signed-in visitor's user id lives in Flask's signed
session cookie. Health checks and static files create no session."""
from __future__ import annotations

import uuid

from flask import Flask, g, request, session

COOKIE = "shop_session-id"
# A year: the id only names an anonymous cart, which itself expires after three hours idle.
COOKIE_MAX_AGE = 365 * 24 * 3600
NO_SESSION_PATHS = ("/_healthz", "/robots.txt", "/static/", "/images/")


def parse_session_id(value: str | None) -> str | None:
    """The cookie's value when it is a UUID we could have issued, else None. Pure."""
    try:
        return str(uuid.UUID(value)) if value and len(value) == 36 else None
    except ValueError:
        return None


def owner_id() -> str:
    """Whose cart this request works on: the signed-in user's, or this session's."""
    return session.get("user_id") or f"guest:{g.session_id}"


def signed_in_user_id() -> str | None:
    return session.get("user_id")


def init_app(app: Flask) -> None:
    @app.before_request
    def identify_visitor():
        if request.path.startswith(NO_SESSION_PATHS):
            return
        existing = parse_session_id(request.cookies.get(COOKIE))
        g.session_id = existing or str(uuid.uuid4())
        g.new_session = existing is None

    @app.after_request
    def issue_session_cookie(response):
        if g.get("new_session"):
            response.set_cookie(COOKIE, g.session_id, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                                secure=request.is_secure)
        return response
