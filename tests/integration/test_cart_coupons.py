"""A coupon code kept with a cart (decision 0016), against the real cart, catalog and Redis:
applied once the catalog says it fits the cart (a refusal keeps the cart as it was, with
the catalog's words and reason), carried over when a guest's cart merges at sign-in,
taken off by the order that used it, never counted as a line."""
from __future__ import annotations

import uuid

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import coupons_pb2, coupons_pb2_grpc
from tests.integration.catalog_helpers import create_product


@pytest.fixture
def cart(cart_channel):
    return cart_pb2_grpc.CartServiceStub(cart_channel)


@pytest.fixture
def owner():
    return f"guest:{uuid.uuid4()}"


@pytest.fixture
def code(catalog_channel):
    made = coupons_pb2_grpc.CouponServiceStub(catalog_channel).CreateCoupon(coupons_pb2.CreateCouponRequest(
        coupon=coupons_pb2.Coupon(code=f"CART-{uuid.uuid4().hex[:6].upper()}", percent_off=10,
                                  categories=["kitchen"])), timeout=5)
    return made.coupon.code


def add(cart, owner, product_id, quantity=1):
    return cart.AddItem(cart_pb2.AddItemRequest(owner_id=owner, product_id=product_id, quantity=quantity),
                        timeout=5).cart


def apply(cart, owner, code, currency="USD"):
    return cart.ApplyCoupon(cart_pb2.ApplyCouponRequest(owner_id=owner, coupon_code=code, currency_code=currency),
                            timeout=5).cart


def refusal(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def reason_of(error: grpc.RpcError) -> str:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    return ""


def test_a_code_that_fits_is_kept_and_one_that_does_not_leaves_the_cart_as_it_was(cart, owner, code,
                                                                                  catalog_channel):
    mug = create_product(catalog_channel, categories=("kitchen",))
    add(cart, owner, mug.id, 2)
    kept = apply(cart, owner, f" {code.lower()} ")
    assert kept.coupon_code == code and [(i.product_id, i.quantity) for i in kept.items] == [(mug.id, 2)]

    unknown = refusal(lambda: apply(cart, owner, "NOPE-404"))
    assert unknown.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(unknown) == "COUPON_REFUSED"
    assert unknown.details() == "the code NOPE-404 is not a code we know"
    assert cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart.coupon_code == code

    removed = cart.RemoveCoupon(cart_pb2.RemoveCouponRequest(owner_id=owner), timeout=5).cart
    assert removed.coupon_code == "" and len(removed.items) == 1


def test_a_code_for_other_categories_or_an_empty_cart_is_refused(cart, owner, code, catalog_channel):
    empty = refusal(lambda: apply(cart, owner, code))
    assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT and "the cart is empty" in empty.details()
    tent = create_product(catalog_channel, categories=("outdoors",))
    add(cart, owner, tent.id)
    elsewhere = refusal(lambda: apply(cart, owner, code))
    assert elsewhere.details() == f"the code {code} does not apply to anything in this cart"
    assert refusal(lambda: apply(cart, owner, "x")).code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_code_moves_with_a_guests_cart_at_sign_in_and_the_order_takes_it(cart, owner, code, catalog_channel):
    mug = create_product(catalog_channel, categories=("kitchen",))
    add(cart, owner, mug.id)
    apply(cart, owner, code)
    user = f"user-{uuid.uuid4().hex[:8]}"
    merged = cart.MergeCarts(cart_pb2.MergeCartsRequest(source_owner_id=owner, target_owner_id=user), timeout=5).cart
    assert merged.coupon_code == code and len(merged.items) == 1

    other = cart.SubtractItems(cart_pb2.SubtractItemsRequest(owner_id=user, coupon_code="OTHER-CODE", items=[
        cart_pb2.CartItem(product_id=mug.id, quantity=1)]), timeout=5).cart
    assert other.coupon_code == code  # an order that used another code leaves this one
    add(cart, user, mug.id)
    used = cart.SubtractItems(cart_pb2.SubtractItemsRequest(owner_id=user, coupon_code=code, items=[
        cart_pb2.CartItem(product_id=mug.id, quantity=1)]), timeout=5).cart
    assert used.coupon_code == "" and not used.items


def test_a_code_is_not_a_line(cart, owner, code, catalog_channel):
    products = [create_product(catalog_channel, categories=("kitchen",)) for _ in range(50)]
    add(cart, owner, products[0].id)
    apply(cart, owner, code)
    for product in products[1:]:
        add(cart, owner, product.id)  # 50 lines fit beside the code
    full = refusal(lambda: add(cart, owner, create_product(catalog_channel).id))
    assert "at most 50 different products" in full.details()
    assert cart.GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart.coupon_code == code
