"""Error pages: friendly, with no internals. A service that cannot answer gives 503 with
a page that says which part of the shop is away; what does not exist gives 404."""
from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from frontend.clients import NotFound, ServiceUnavailable

log = logging.getLogger("frontend")

# What each service is to a visitor, for the 503 page.
SERVICE_NAMES = {"catalog": "the product catalog", "cart": "the shopping cart", "checkout": "checkout and orders",
                 "shipping": "shipping quotes", "identity": "sign-in and accounts"}


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceUnavailable)
    def service_unavailable(error: ServiceUnavailable):
        log.warning("backend unavailable", extra={"backend": error.service, "detail": error.message})
        part = SERVICE_NAMES.get(error.service, "part of the shop")
        return render_template("errors/503.html", part=part), 503

    @app.errorhandler(NotFound)
    def backend_not_found(_error: NotFound):
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(_error: CSRFError):
        return render_template("errors/400.html", message="This form had expired. Please try again."), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 404:
            return render_template("errors/404.html"), 404
        if error.code and error.code < 500:
            return render_template("errors/400.html", message=error.description), error.code
        return render_template("errors/500.html"), error.code or 500

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        return render_template("errors/500.html"), 500
