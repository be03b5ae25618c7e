"""The back office's products (/admin/products) over the real catalog and identity: admins
only; search; create with an uploaded image that the shop then shows; edit; stock
adjustments beside the units orders hold; delete. Each change is in the catalog's audit log
with the admin who made it through the website."""
from __future__ import annotations

import io
import re
import uuid

import grpc
import pytest

from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.test_catalog_images import png
from tests.integration.test_frontend_back_office import sign_in, token_on
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register


@pytest.fixture
def admin(frontend_app):
    client = frontend_app.test_client()
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client


@pytest.fixture
def catalog(catalog_channel):
    return catalog_pb2_grpc.CatalogServiceStub(catalog_channel)


def post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": token_on(client), **fields}, content_type="multipart/form-data")


def product_fields(title: str, **overrides) -> dict:
    return {"name": title, "description": "Made for the back office test.", "price": "18.40",
            "categories": ["kitchen"], "stock": "6", **overrides}


def test_products_are_for_admins_only(frontend_app, identity_channel):
    anonymous = frontend_app.test_client()
    assert anonymous.get("/admin/products").headers["Location"] == "/login?next=/admin/products"
    customer = frontend_app.test_client()
    sign_in(customer, register(identity_channel).email, PASSWORD)
    assert customer.get("/admin/products/new").status_code == 403
    assert post(customer, "/admin/products/new", **product_fields("Sneaky Kettle")).status_code == 403


def test_an_admin_creates_a_product_with_an_image_and_the_shop_shows_it(admin, catalog, catalog_channel):
    name = f"Back Office Kettle {uuid.uuid4().hex[:6]}"
    picture = png(seed=uuid.uuid4().int)
    made = post(admin, "/admin/products/new", **product_fields(name), image=(io.BytesIO(picture), "kettle.png"))
    assert made.status_code == 303, made.text
    product_id = made.headers["Location"].rsplit("/", 1)[1]
    product = catalog.GetProduct(catalog_pb2.GetProductRequest(id=product_id), timeout=5).product
    assert (product.name, product.stock, product.price.units, product.price.nanos) == (name, 6, 18, 400_000_000)
    assert re.fullmatch(r"/images/products/u-[0-9a-f]{32}\.png", product.image_url)

    assert admin.get(product.image_url).data == picture
    assert f'src="{product.image_url}"' in admin.get(f"/products/{product_id}").text
    page = admin.get(f"/admin/products/{product_id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store" and name in page.text

    log = audit_pb2_grpc.AuditLogServiceStub(catalog_channel).ListActions(
        audit_pb2.ListActionsRequest(page_size=50), timeout=5).actions
    created = next(e for e in log if e.action == "CreateProduct" and e.target == product_id)
    assert created.via == "website" and created.actor_id and created.outcome == "OK"
    assert any(e.action == "UploadProductImage" and e.via == "website" for e in log)


@pytest.mark.parametrize("fields, says", [
    ({"price": "12,50"}, "Price is an amount more than 0"),
    ({"price": "0"}, "Price is an amount more than 0"),
    ({"name": ""}, "Give the product a name"),
    ({"categories": []}, "Choose at least one category"),
    ({"stock": "-1"}, "Stock is a whole number"),
    ({"image": (io.BytesIO(b"<svg onload='alert(1)'></svg>"), "x.svg")}, "SVG images are not taken"),
    ({"id": "Bad Id!"}, "id"),
])
def test_a_form_with_a_mistake_says_what_to_fix_and_creates_nothing(admin, catalog, fields, says):
    name = f"Mistaken Kettle {uuid.uuid4().hex[:6]}"
    reply = post(admin, "/admin/products/new", **product_fields(name, **fields))
    assert reply.status_code == 400 and says in reply.text and "Traceback" not in reply.text
    found = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(query=name), timeout=5).products
    assert not [p for p in found if p.name == name]


def test_search_lists_stock_and_what_orders_hold(admin, catalog, catalog_channel):
    product = create_product(catalog_channel, stock=9, name=f"Searchable Lantern {uuid.uuid4().hex[:6]}")
    catalog.ReserveStock(catalog_pb2.ReserveStockRequest(
        order_id=f"order-{uuid.uuid4().hex[:8]}", lines=[catalog_pb2.StockLine(product_id=product.id, quantity=2)]),
        timeout=5)
    page = admin.get(f"/admin/products?q={product.name.split()[-1]}").text
    row = re.search(rf'<tr id="product-{product.id}">.*?</tr>', page, re.S).group(0)
    assert '<td data-label="Available" class="available">7</td>' in row and "by 1 order" in row
    assert ">2 <span" in row
    assert admin.get("/admin/products").status_code == 200


def test_an_admin_edits_adjusts_stock_and_deletes(admin, catalog, catalog_channel):
    product = create_product(catalog_channel, stock=3)
    edited = post(admin, f"/admin/products/{product.id}", **product_fields("Renamed Lantern", price="7.05",
                                                                         categories=["kitchen", "outdoors"]))
    assert edited.status_code == 303
    now = catalog.GetProduct(catalog_pb2.GetProductRequest(id=product.id), timeout=5).product
    assert (now.name, now.price.units, now.price.nanos, list(now.categories), now.stock) == (
        "Renamed Lantern", 7, 50_000_000, ["kitchen", "outdoors"], 3)  # the edit form leaves stock alone
    assert now.image_url == product.image_url

    assert post(admin, f"/admin/products/{product.id}/stock", delta="+5", reason="received").status_code == 303
    assert "Renamed Lantern: +5, 8 now available." in admin.get(f"/admin/products/{product.id}").text
    post(admin, f"/admin/products/{product.id}/stock", delta="-20")
    assert "Stock unchanged: Renamed Lantern has 8 available: 20 cannot be taken off." in admin.get(
        f"/admin/products/{product.id}").text
    post(admin, f"/admin/products/{product.id}/stock", delta="zero")
    assert "Give a number of units" in admin.get(f"/admin/products/{product.id}").text
    assert catalog.GetProduct(catalog_pb2.GetProductRequest(id=product.id), timeout=5).product.stock == 8

    deleted = post(admin, f"/admin/products/{product.id}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"] == "/admin/products"
    with pytest.raises(grpc.RpcError) as gone:
        catalog.GetProduct(catalog_pb2.GetProductRequest(id=product.id), timeout=5)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert admin.get(f"/admin/products/{product.id}").status_code == 404


def test_an_image_over_the_limit_is_refused_without_a_trace(admin):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024)
    reply = post(admin, "/admin/products/new", **product_fields("Huge Kettle"), image=(io.BytesIO(big), "big.png"))
    assert reply.status_code == 413 and "Traceback" not in reply.text
