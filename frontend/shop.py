"""Browsing the shop: the product grid (with a category filter and pages), search, a
product's page, and the product images. Views translate a request into a call to the
catalog_views layer and its answer into a template."""
from __future__ import annotations

import re
import time
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, g, render_template, request, send_from_directory

from shop.catalog.v1 import catalog_pb2

from frontend import backends, cart_count, catalog_views, promotions, suggestions
from frontend.clients import NotFound
from frontend.together import together
from frontend.visitor import owner_id
from frontend.catalog_views import UnknownPage

bp = Blueprint("shop", __name__)

# The catalog's own image files: the website serves them itself at the path imageUrl
# names, so pages need neither the catalog's HTTP port nor the internet.
IMAGES_DIR = Path(__file__).resolve().parent.parent / "catalogservice" / "images" / "products"
IMAGE_MAX_AGE = 7 * 24 * 3600
# Uploaded images (catalogservice/images.py): the name is a digest of the content.
UPLOADED_IMAGE = re.compile(r"u-[0-9a-f]{32}\.(png|jpg|gif|webp)")
UPLOADED_IMAGE_MAX_AGE = 365 * 24 * 3600

# The categories change only with the catalog's migrations (there is no call that changes
# them), so each process asks for them once a minute rather than on every page.
CATEGORIES_MAX_AGE = 60.0

UNKNOWN_PAGE = "That page of results is not one we know. Please start again from the first page."


@bp.get("/")
def home():
    category = request.args.get("category", "")
    page_token = request.args.get("page", "")
    catalog = backends().catalog
    try:
        products, categories, _ = together(
            lambda: catalog_views.product_listing(catalog, g.currency, category=category, page_token=page_token),
            lambda: _categories(catalog),
            cart_count)
    except UnknownPage:
        abort(400, UNKNOWN_PAGE)
    current = next((c for c in categories if c.slug == category), None)
    return render_template("shop/home.html", listing=products, categories=categories, category=current,
                           page_token=page_token)


def _categories(catalog) -> list[catalog_views.CategoryLink]:
    """The catalog's categories, asked at most once a minute per process."""
    cache = current_app.extensions.setdefault("categories", {"links": None, "at": 0.0})
    if cache["links"] is None or time.monotonic() - cache["at"] > CATEGORIES_MAX_AGE:
        cache.update(links=catalog_views.categories(catalog), at=time.monotonic())
    return cache["links"]


@bp.get("/search")
def search():
    query = catalog_views.search_query(request.args.get("q"))
    page_token = request.args.get("page", "")
    try:
        results, _ = together(
            lambda: catalog_views.search_listing(backends().catalog, g.currency, query, page_token=page_token),
            cart_count)
    except UnknownPage:
        abort(400, UNKNOWN_PAGE)
    return render_template("shop/search.html", listing=results, query=query,
                           asked=request.args.get("q", "").strip(), page_token=page_token)


@bp.get("/products/<product_id>")
def product(product_id: str):
    page, _, suggested, offers = together(
        lambda: catalog_views.product_page(backends().catalog, g.currency, product_id), cart_count,
        lambda: suggestions.suggested(backends(), g.currency, product_id=product_id, user_id=owner_id()),
        lambda: promotions.banners(backends().catalog, product_ids=[product_id]))
    return render_template("shop/product.html", product=page, suggestions=suggested, promotions=offers)


@bp.get("/images/products/<name>")
def product_image(name: str):
    """The catalog's own files from the folder (send_from_directory refuses any name that
    would leave it: 404); images uploaded in the back office from the catalog's database,
    so every replica serves them. Those are named by their content, so they never change."""
    if UPLOADED_IMAGE.fullmatch(name):
        try:
            image = backends().catalog.GetProductImage(catalog_pb2.GetProductImageRequest(name=name))
        except NotFound:
            abort(404)
        response = Response(image.data, mimetype=image.content_type)
        response.headers["Cache-Control"] = f"public, max-age={UPLOADED_IMAGE_MAX_AGE}, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    return send_from_directory(IMAGES_DIR, name, max_age=IMAGE_MAX_AGE)
