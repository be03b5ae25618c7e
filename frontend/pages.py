"""The pages that are not the shop itself: health for probes, robots.txt."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

bp = Blueprint("pages", __name__)

ROBOTS = """User-agent: *
Disallow: /cart
Disallow: /checkout
Disallow: /account
Disallow: /orders
"""


@bp.get("/_healthz")
def healthz():
    """The process answers; the services behind it have their own health."""
    return jsonify(status="ok")


@bp.get("/robots.txt")
def robots():
    return Response(ROBOTS, mimetype="text/plain")
