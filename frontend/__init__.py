"""The website: a Flask application factory. Views call the services through
`backends()` (clients.py), never gRPC stubs directly."""
from __future__ import annotations

import re

from flask import Flask, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from service_runtime import audit, tracecontext

from frontend import currencies, errors, request_spans, visitor
from frontend.clients import Backends, BackendError
from frontend.config import Config
from frontend.money import format_money
from shop.cart.v1 import cart_pb2

_CURRENCY = re.compile(r"[A-Z]{3}")

csrf = CSRFProtect()


class _SessionInterface(SecureCookieSessionInterface):
    """The signed session cookie is Secure exactly when the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure


def backends() -> Backends:
    return current_app.extensions["backends"]


def cart_count() -> int | None:
    """Units in the visitor's cart, or None when the cart service cannot say; asked once
    per request (a page that has the cart already sets g.cart_count itself)."""
    if "cart_count" not in g:
        g.cart_count = _ask_cart_count()
    return g.cart_count


def _ask_cart_count() -> int | None:
    if "session_id" not in g:
        return None
    try:
        cart = backends().cart.GetCart(cart_pb2.GetCartRequest(owner_id=visitor.owner_id())).cart
    except BackendError:
        return None
    return sum(item.quantity for item in cart.items)


def _outgoing_metadata() -> tuple:
    """What every gRPC call carries: the request id, the visitor's address (for the
    services' per-client limits and the audit log), and in the back office the admin."""
    metadata = [("x-request-id", g.request_id)] if has_request_context() and g.get("request_id") else []
    if has_request_context() and request.remote_addr:
        metadata.append(("x-forwarded-for", request.remote_addr))
    if has_request_context() and g.get("admin") is not None:  # the back office: who acts, for the audit log
        metadata.extend(audit.metadata_for(g.admin.id, "website", ""))
    return tuple(metadata)


def create_app(config: Config, backends_: Backends | None = None) -> Flask:
    app = Flask(__name__)
    if config.trusted_proxy_hops:  # the client address as our own proxies saw it, no further left
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxy_hops, x_proto=0, x_host=0, x_port=0,
                                x_prefix=0)
    request_spans.init_app(app)  # first: its span is open before the hooks below run
    from frontend import metrics  # here, not above: see frontend/metrics.py
    metrics.init_app(app, config.call_log)  # next: the clock starts before any other hook
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SEND_FILE_MAX_AGE_DEFAULT=86400,  # static files: a day in caches
        WTF_CSRF_TIME_LIMIT=None,         # tokens live as long as the session
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # the largest request: a product image (1 MiB) and its form
        SHOP=config,
    )
    app.session_interface = _SessionInterface()
    app.extensions["backends"] = backends_ or Backends(config, _outgoing_metadata)
    visitor.init_app(app)  # before CSRF: a refused form's page still knows its visitor
    csrf.init_app(app)
    errors.init_app(app)

    @app.before_request
    def request_context():
        g.request_id = tracecontext.request_id_for(request.headers.get("X-Request-Id"))
        chosen = request.cookies.get(currencies.COOKIE, "")
        g.currency = chosen if _CURRENCY.fullmatch(chosen) else config.default_currency

    @app.after_request
    def request_id_header(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response

    app.add_template_filter(format_money, "money")

    @app.context_processor
    def page_context():
        return {"cart_count": cart_count, "currency": g.get("currency", config.default_currency),
                "supported_currencies": currencies.supported,
                "signed_in": visitor.signed_in_user_id() is not None}

    from frontend import pages
    app.register_blueprint(pages.bp)
    app.register_blueprint(currencies.bp)
    # The shop's areas, one blueprint each (one line per area).
    from frontend import shop; app.register_blueprint(shop.bp)  # noqa: E702
    from frontend import account; app.register_blueprint(account.bp)  # noqa: E702
    from frontend import cart; app.register_blueprint(cart.bp)  # noqa: E702
    from frontend import back_office; app.register_blueprint(back_office.bp)  # noqa: E702
    from frontend import admin_products; app.register_blueprint(admin_products.bp)  # noqa: E702
    from frontend import admin_orders; app.register_blueprint(admin_orders.bp)  # noqa: E702
    from frontend import admin_messaging; app.register_blueprint(admin_messaging.bp)  # noqa: E702
    from frontend import admin_coupons; app.register_blueprint(admin_coupons.bp)  # noqa: E702
    return app
