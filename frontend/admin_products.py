"""The back office's products (/admin/products): a searchable list with each product's
stock and the units orders hold; create and edit (name, description, price, categories and
an uploaded image, which the catalog keeps so every replica serves it); stock adjustments;
delete. For admins only, as the rest of /admin (back_office.admins_only). The catalog
records each change in its audit log, naming the admin the website sends (decision 0013)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request
from google.protobuf.field_mask_pb2 import FieldMask

from shop.catalog.v1 import catalog_pb2

from frontend import backends, back_office
from frontend.catalog_views import image_src, search_query
from frontend.clients import NotFound, Refused
from frontend.money import format_money
from frontend.product_form import ProductForm, stock_delta

bp = Blueprint("admin_products", __name__, url_prefix="/admin/products")
bp.before_request(back_office.admins_only)
bp.after_request(back_office.never_cached)

PAGE_SIZE = 20


@dataclass(frozen=True)
class ProductRow:
    id: str
    name: str
    image: str
    price: str
    categories: str
    available: int
    reserved: int
    holding_orders: int


@bp.get("")
def products():
    query = search_query(request.args.get("q"))
    page_token = request.args.get("page", "")
    catalog = backends().catalog
    try:
        if query:
            found = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(
                query=query, page_size=PAGE_SIZE, page_token=page_token))
        else:
            found = catalog.ListProducts(catalog_pb2.ListProductsRequest(page_size=PAGE_SIZE, page_token=page_token))
    except Refused:
        abort(400, "That page of products does not exist.")
    levels = {level.product_id: level for level in catalog.ListStockLevels(catalog_pb2.ListStockLevelsRequest(
        product_ids=[p.id for p in found.products])).levels} if found.products else {}
    rows = [ProductRow(p.id, p.name, image_src(p.image_url), format_money(p.price), ", ".join(p.categories),
                       p.stock, levels[p.id].reserved if p.id in levels else 0,
                       levels[p.id].holding_orders if p.id in levels else 0) for p in found.products]
    return render_template("admin/products.html", rows=rows, query=query, asked=request.args.get("q", "").strip(),
                           total=found.total_size, next_page=found.next_page_token, first_page=not page_token)


def _categories() -> list:
    return list(backends().catalog.ListCategories(catalog_pb2.ListCategoriesRequest()).categories)


def _form_page(form: ProductForm, *, product=None, level=None, status: int = 200):
    return render_template("admin/product.html", form=form, product=product, level=level,
                           categories=_categories(), image=image_src(form.image_url)), status


def _uploaded_image(form: ProductForm) -> bool:
    """The file the form sent, if any, stored by the catalog; False (with the error on the
    form) when the catalog refused it."""
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return True
    try:
        stored = backends().catalog.UploadProductImage(catalog_pb2.UploadProductImageRequest(
            data=upload.read(), content_type=upload.mimetype or ""))
    except Refused as refused:
        form.errors["image"] = f"The image was not taken: {refused.message}."
        return False
    form.image_url = stored.image_url
    return True


@bp.get("/new")
def new_product():
    return _form_page(ProductForm())


@bp.post("/new")
def create_product():
    form = ProductForm.from_form(request.form)
    if form.errors or not _uploaded_image(form):
        return _form_page(form, status=400)
    try:
        made = backends().catalog.CreateProduct(catalog_pb2.CreateProductRequest(product=form.new_product())).product
    except Refused as refused:
        form.errors[refused.field or "form"] = f"{refused.message}."
        return _form_page(form, status=400)
    back_office.admin_action("create product", product_id=made.id)
    flash(f"{made.name} is in the shop, as {made.id}.")
    return redirect(f"/admin/products/{made.id}", 303)


def _product_and_level(product_id: str):
    catalog = backends().catalog
    try:
        product = catalog.GetProduct(catalog_pb2.GetProductRequest(id=product_id)).product
    except (NotFound, Refused):
        abort(404)
    levels = catalog.ListStockLevels(catalog_pb2.ListStockLevelsRequest(product_ids=[product_id])).levels
    return product, (levels[0] if levels else None)


@bp.get("/<product_id>")
def edit_product(product_id: str):
    product, level = _product_and_level(product_id)
    return _form_page(ProductForm.from_product(product), product=product, level=level)


@bp.post("/<product_id>")
def update_product(product_id: str):
    product, level = _product_and_level(product_id)
    form = ProductForm.from_form(request.form, currency=product.price.currency_code or "USD")
    form.id, form.stock = product.id, str(product.stock)
    if form.errors or not _uploaded_image(form):
        form.image_url = form.image_url or product.image_url
        return _form_page(form, product=product, level=level, status=400)
    changed, paths = form.changes(product_id)
    try:
        backends().catalog.UpdateProduct(catalog_pb2.UpdateProductRequest(product=changed,
                                                                         update_mask=FieldMask(paths=paths)))
    except Refused as refused:
        form.errors[refused.field or "form"] = f"{refused.message}."
        form.image_url = form.image_url or product.image_url
        return _form_page(form, product=product, level=level, status=400)
    back_office.admin_action("update product", product_id=product_id, fields=paths)
    flash(f"{form.name} is saved.")
    return redirect(f"/admin/products/{product_id}", 303)


@bp.post("/<product_id>/stock")
def adjust_stock(product_id: str):
    try:
        delta = stock_delta(request.form.get("delta", ""))
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(f"/admin/products/{product_id}", 303)
    reason = request.form.get("reason", "").strip()[:200]
    try:
        adjusted = backends().catalog.AdjustStock(catalog_pb2.AdjustStockRequest(
            product_id=product_id, delta=delta, reason=reason)).product
    except NotFound:
        abort(404)
    except Refused as refused:
        flash(f"Stock unchanged: {refused.message}.", "error")
        return redirect(f"/admin/products/{product_id}", 303)
    back_office.admin_action("adjust stock", product_id=product_id, delta=delta, reason=reason)
    flash(f"{adjusted.name}: {delta:+d}, {adjusted.stock} now available.")
    return redirect(f"/admin/products/{product_id}", 303)


@bp.post("/<product_id>/delete")
def delete_product(product_id: str):
    product, _ = _product_and_level(product_id)
    backends().catalog.DeleteProduct(catalog_pb2.DeleteProductRequest(id=product_id))
    back_office.admin_action("delete product", product_id=product_id)
    flash(f"{product.name} ({product_id}) is no longer for sale; past orders keep their lines.")
    return redirect("/admin/products", 303)
