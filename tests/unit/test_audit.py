"""The audit log's pure parts: who made a call, what it was about, and what is kept of it
(docs/decisions/0013)."""
from __future__ import annotations

import pytest

from catalogservice.__main__ import ADMIN_METHODS as CATALOG_ADMIN
from checkoutservice.__main__ import ADMIN_METHODS as CHECKOUT_ADMIN
from identityservice.__main__ import ADMIN_METHODS as IDENTITY_ADMIN
from service_runtime import audit
from shop.catalog.v1 import catalog_pb2, coupons_pb2
from shop.checkout.v1 import checkout_pb2
from shop.identity.v1 import identity_pb2
from shop.operations.v1 import dead_letters_pb2


def test_a_call_names_its_actor_way_in_and_address():
    caller = audit.caller_of(audit.metadata_for("u-1", "website", "203.0.113.5"), "ipv4:127.0.0.1:4000")
    assert caller == audit.Caller("u-1", "website", "203.0.113.5")


def test_a_call_that_names_nobody_is_a_direct_one_from_its_peer():
    assert audit.caller_of((), "ipv4:10.0.0.8:5000") == audit.Caller("", "grpc", "10.0.0.8")
    # an unknown way in is not believed
    assert audit.caller_of((("x-shop-via", "backstage"),), "ipv6:[::1]:9").via == "grpc"


def test_the_target_is_the_requests_id_else_the_created_things():
    assert audit.target_of(catalog_pb2.DeleteProductRequest(id="p-1")) == "p-1"
    assert audit.target_of(checkout_pb2.CancelAnyOrderRequest(order_id="o-9", reason="x")) == "o-9"
    nameless = catalog_pb2.CreateProductRequest(product=catalog_pb2.Product(name="Lamp"))
    made = catalog_pb2.CreateProductResponse(product=catalog_pb2.Product(id="lamp", name="Lamp"))
    assert audit.target_of(nameless) == ""
    assert audit.target_of(nameless, made) == "lamp"
    assert audit.target_of(nameless, None) == ""


def test_details_are_the_request_as_one_json_line_cut_at_the_limit():
    short = audit.details_of(catalog_pb2.DeleteProductRequest(id="p-1"))
    assert short == '{"id": "p-1"}'
    long = audit.details_of(catalog_pb2.CreateProductRequest(product=catalog_pb2.Product(description="d" * 5000)))
    assert len(long) == audit.DETAILS_LIMIT and long.endswith("…") and "\n" not in long


@pytest.mark.parametrize("requested, kept", [(0, 50), (1, 1), (200, 200)])
def test_page_sizes(requested, kept):
    assert audit.page_size_of(requested) == kept


@pytest.mark.parametrize("requested", [-1, 201])
def test_page_sizes_out_of_range_are_refused(requested):
    with pytest.raises(audit.InvalidEntry):
        audit.page_size_of(requested)


def test_the_services_record_their_admin_actions_and_no_secrets_go_into_details():
    assert {m.rsplit("/", 1)[1] for m in CATALOG_ADMIN} == {"CreateProduct", "UpdateProduct", "DeleteProduct",
                                                            "UploadProductImage", "AdjustStock", "CreateCoupon",
                                                            "DeleteCoupon"}
    assert {m.rsplit("/", 1)[1] for m in CHECKOUT_ADMIN} == {"CancelAnyOrder", "ReplayDeadLetters"}
    assert {m.rsplit("/", 1)[1] for m in IDENTITY_ADMIN} == {"SetUserRoles", "LockUser", "UnlockUser"}
    for full_name in CATALOG_ADMIN | CHECKOUT_ADMIN | IDENTITY_ADMIN:
        service, method = full_name.strip("/").rsplit("/", 1)
        module = {"shop.catalog.v1.CatalogService": catalog_pb2, "shop.catalog.v1.CouponService": coupons_pb2, "shop.checkout.v1.CheckoutService": checkout_pb2,
                  "shop.identity.v1.IdentityService": identity_pb2,
                  "shop.operations.v1.DeadLetterService": dead_letters_pb2}[service]
        request = module.DESCRIPTOR.services_by_name[service.rsplit(".", 1)[1]].methods_by_name[method].input_type
        assert not {"password", "card", "cvv", "number"} & {f.name for f in request.fields}, full_name


def test_an_entry_id_belongs_to_its_service():
    log = audit.AuditLog(pool=None, service="catalogservice")
    assert log.number_of(log.entry_id(12)) == 12
    for foreign in ("identityservice-12", "catalogservice-x", "12"):
        with pytest.raises(audit.EntryNotFound):
            log.number_of(foreign)


def test_an_uploaded_files_bytes_are_kept_as_their_size():
    upload = catalog_pb2.UploadProductImageRequest(data=b"\x89PNG" + b"x" * 2000, content_type="image/png")
    assert audit.details_of(upload) == '{"data": "2,004 bytes", "content_type": "image/png"}'
