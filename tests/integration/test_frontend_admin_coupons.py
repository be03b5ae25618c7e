"""The back office's coupons (/admin/coupons) over the real catalog: admins only; a code
made from the form with its rules, listed with its redemptions; a form with a mistake says
what to fix and makes nothing; ending a code; each change in the catalog's audit log."""
from __future__ import annotations

import uuid

import pytest

from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, coupons_pb2
from tests.integration.catalog_helpers import create_product
from tests.integration.test_frontend_back_office import post_form, sign_in
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register


@pytest.fixture
def admin(frontend_app):
    client = frontend_app.test_client()
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client


def new_code() -> str:
    return f"BO-{uuid.uuid4().hex[:6].upper()}"


def test_coupons_are_for_admins_only(frontend_app, identity_channel):
    assert frontend_app.test_client().get("/admin/coupons").headers["Location"] == "/login?next=/admin/coupons"
    customer = frontend_app.test_client()
    sign_in(customer, register(identity_channel).email, PASSWORD)
    assert customer.get("/admin/coupons").status_code == 403
    assert post_form(customer, "/admin/coupons", code=new_code(), kind="percent", value="90").status_code == 403


def test_an_admin_makes_a_code_sees_its_redemptions_and_ends_it(admin, catalog_channel):
    code = new_code()
    made = post_form(admin, "/admin/coupons", code=code.lower(), kind="amount", value="7.50", currency="USD",
                     min_subtotal="30", categories="kitchen", valid_until="2099-12-31", per_customer_limit="1",
                     total_limit="10", banner="7.50 off the kitchen")
    assert made.status_code == 303, made.text
    page = admin.get("/admin/coupons").text
    assert (f"{code} works from now: 7.50 USD off kitchen, from 30.00 USD, 1 per customer, 10 in all, "
            "until 2100-01-01 00:00 UTC." in page)
    assert f'id="coupon-{code}"' in page and "Banner: 7.50 off the kitchen" in page

    product = create_product(catalog_channel, stock=9, categories=("kitchen",))
    catalog_pb2_grpc.CatalogServiceStub(catalog_channel).ReserveStock(catalog_pb2.ReserveStockRequest(
        order_id=f"order-{uuid.uuid4().hex[:8]}", lines=[catalog_pb2.StockLine(product_id=product.id, quantity=4)],
        coupon_code=code, currency_code="USD", customer_id="user-1",
        priced_lines=[coupons_pb2.PricedLine(product_id=product.id, quantity=4,
                                             unit_price={"currency_code": "USD", "units": 10})]), timeout=5)
    row = admin.get("/admin/coupons").text.split(f'id="coupon-{code}"')[1].split("</tr>")[0]
    assert '<td data-label="Redemptions" class="redemptions">1</td>' in row

    assert post_form(admin, f"/admin/coupons/{code}/end").status_code == 303
    assert f'id="coupon-{code}"' not in admin.get("/admin/coupons").text
    log = audit_pb2_grpc.AuditLogServiceStub(catalog_channel).ListActions(
        audit_pb2.ListActionsRequest(page_size=50), timeout=5).actions
    assert {e.action for e in log if code in e.details or e.target == code} >= {"CreateCoupon", "DeleteCoupon"}
    assert all(e.via == "website" for e in log if e.action in ("CreateCoupon", "DeleteCoupon") and code in e.details)


@pytest.mark.parametrize("fields, says", [
    ({"kind": "percent", "value": "150"}, "A percentage off is a whole number from 1 to 100."),
    ({"kind": "amount", "value": "0"}, "An amount off is more than 0"),
    ({"kind": "percent", "value": "10", "valid_from": "5/12/2026"}, "Dates are written 2026-12-05."),
    ({"kind": "percent", "value": "10", "total_limit": "-1"}, "A limit is a whole number"),
    ({"kind": "percent", "value": "10", "code": "A B"}, "a coupon code is 3 to 32 letters"),
])
def test_a_form_with_a_mistake_says_what_to_fix_and_makes_nothing(admin, fields, says):
    code = new_code()
    reply = post_form(admin, "/admin/coupons", **{"code": code, **fields})
    assert reply.status_code == 400 and says in reply.text and "Traceback" not in reply.text
    assert f'id="coupon-{code}"' not in admin.get("/admin/coupons").text
