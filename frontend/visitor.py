"""Who is visiting: every visitor gets a session id (cookie `shop_session-id`, a random
UUID) that owns the anonymous cart; a signed-in visitor's user id lives in Flask's signed
session cookie. Health checks and static files create no session.

A signed-in session is identity's too: the cookie also holds the jti of the token pair the
sign-in was given, and identity is asked whether that session still lives (CheckSession)
once it was last seen live more than SESSION_CHECK_SECONDS ago (30 by default; the time is
in the signed cookie, so every worker and replica keeps the same bound). A password change,
an account deletion or "sign out everywhere" therefore ends the website's session within
that time. While identity cannot be asked, the signed cookie is trusted as it stands."""
from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, current_app, flash, g, request, session

from shop.identity.v1 import identity_pb2

from frontend.clients import BackendError, Refused

log = logging.getLogger("frontend")

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


USER_ID, SESSION_JTI, SEEN_LIVE_AT = "user_id", "session_jti", "seen_live_at"


def check_due(seen_live_at: float, now: float, interval: float) -> bool:
    """Whether identity must be asked again about a session last seen live at seen_live_at. Pure."""
    return not now - interval < seen_live_at <= now


def owner_id() -> str:
    """Whose cart this request works on: the signed-in user's, or this session's."""
    return signed_in_user_id() or f"guest:{g.session_id}"


def sign_in(user_id: str, jti: str) -> None:
    """Hold the signed-in user, and the session identity started for them, in the cookie."""
    session[USER_ID], session[SESSION_JTI], session[SEEN_LIVE_AT] = user_id, jti, time.time()


def signed_in_user_id() -> str | None:
    """The signed-in user's id while their session lives; asked of identity once per request at most."""
    if "signed_in_user_id" not in g:
        g.signed_in_user_id = _live_user_id()
    return g.signed_in_user_id


def _live_user_id() -> str | None:
    user_id, jti = session.get(USER_ID), session.get(SESSION_JTI)
    if not user_id:
        return None
    if not jti:  # a cookie from before sessions were checked
        return _signed_out()
    now = time.time()
    if not check_due(session.get(SEEN_LIVE_AT, 0), now, current_app.config["SHOP"].session_check_seconds):
        return user_id
    try:
        current_app.extensions["backends"].identity.CheckSession(
            identity_pb2.CheckSessionRequest(user_id=user_id, jti=jti))
    except Refused:
        return _signed_out()
    except BackendError as error:
        log.warning("could not ask identity whether a session lives; the signed cookie stands",
                    extra={"backend": error.service, "detail": error.message})
        return user_id
    session[SEEN_LIVE_AT] = now
    return user_id


def _signed_out() -> None:
    session.clear()
    flash("Your session has ended. Please sign in again.", "error")
    return None


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
