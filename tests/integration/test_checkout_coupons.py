"""A coupon code through checkout (decision 0016), against the real cart, catalog, payment
and pipeline: the order keeps its discount line and is charged what is left; the cart's code
goes with the order; a code that no longer applies refuses the order naming it, the cart
as it was; a declined card gives the code back; and 20 concurrent checkouts of a code
limited to 5 give exactly 5 discounted orders."""
from __future__ import annotations

import uuid
from decimal import Decimal
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from service_runtime import protomoney
from shop.cart.v1 import cart_pb2, cart_pb2_grpc
from shop.catalog.v1 import coupons_pb2, coupons_pb2_grpc
from shop.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from shop.email.v1 import email_pb2, email_pb2_grpc
from shop.payment.v1 import payment_pb2, payment_pb2_grpc
from tests.integration.catalog_helpers import create_product
from tests.integration.checkout_helpers import (DECLINED_CARD, fill_cart, new_shopper, place_request, refusal,
                                               shipping_midway, wait_for_status)
from tests.support.services import wait_until


@pytest.fixture
def checkout(checkout_channel):
    return checkout_pb2_grpc.CheckoutServiceStub(checkout_channel)


def make_code(catalog_channel, **fields) -> str:
    coupon = coupons_pb2.Coupon(code=f"CO-{uuid.uuid4().hex[:8].upper()}", **fields)
    return coupons_pb2_grpc.CouponServiceStub(catalog_channel).CreateCoupon(
        coupons_pb2.CreateCouponRequest(coupon=coupon), timeout=5).coupon.code


def redemptions(catalog_channel, code: str) -> int:
    listed = coupons_pb2_grpc.CouponServiceStub(catalog_channel).ListCoupons(
        coupons_pb2.ListCouponsRequest(page_size=100), timeout=5).coupons
    return next(c.redemptions for c in listed if c.code == code)


def shopper_with_code(cart_channel, catalog_channel, code: str, product=None, quantity: int = 2) -> str:
    owner = new_shopper()
    fill_cart(cart_channel, owner, ((product or create_product(catalog_channel, stock=50)).id, quantity))
    cart_pb2_grpc.CartServiceStub(cart_channel).ApplyCoupon(cart_pb2.ApplyCouponRequest(
        owner_id=owner, coupon_code=code, currency_code="USD"), timeout=5)
    return owner


def cart_of(cart_channel, owner: str) -> cart_pb2.Cart:
    return cart_pb2_grpc.CartServiceStub(cart_channel).GetCart(cart_pb2.GetCartRequest(owner_id=owner), timeout=5).cart


def amount(money) -> Decimal:
    return protomoney.from_proto(money)[0]


def test_an_order_keeps_its_discount_and_is_charged_what_is_left(checkout, checkout_channel, cart_channel,
                                                               catalog_channel, payment_channel, email_channel):
    code = make_code(catalog_channel, percent_off=10)
    owner = shopper_with_code(cart_channel, catalog_channel, code)  # 2 × 9.99
    order = checkout.PlaceOrder(place_request(owner), timeout=20).order
    assert [(d.code, d.description, amount(d.amount)) for d in order.discounts] == [
        (code, "10% off", Decimal("2.00"))]
    assert (amount(order.subtotal), amount(order.discount_total)) == (Decimal("19.98"), Decimal("2.00"))
    assert amount(order.total) == amount(order.subtotal) - 2 + amount(order.shipping_cost)
    payment = payment_pb2_grpc.PaymentServiceStub(payment_channel).GetPayment(
        payment_pb2.GetPaymentRequest(payment_id=order.payment_id), timeout=5).payment
    assert payment.amount == order.total
    left = cart_of(cart_channel, owner)
    assert not left.items and left.coupon_code == ""
    shipped = wait_for_status(checkout_channel, owner, order.id, "SHIPPED")
    assert shipped.discounts == order.discounts and redemptions(catalog_channel, code) == 1
    emails = wait_until(lambda: (lambda found: found if len(found) >= 3 else None)(
        email_pb2_grpc.EmailServiceStub(email_channel).ListSentEmails(
            email_pb2.ListSentEmailsRequest(order_id=order.id), timeout=5).emails), 30, "the order's emails")
    assert all(f"Discount, {code}: 10% off" in email.text_body and "-$2.00" in email.text_body for email in emails)


def test_a_code_used_up_meanwhile_refuses_the_order_and_the_cart_stays(checkout, cart_channel, catalog_channel):
    code = make_code(catalog_channel, amount_off={"currency_code": "USD", "units": 3}, total_limit=1)
    first = shopper_with_code(cart_channel, catalog_channel, code)
    second = shopper_with_code(cart_channel, catalog_channel, code)
    checkout.PlaceOrder(place_request(first), timeout=20)
    with pytest.raises(grpc.RpcError) as refused:
        checkout.PlaceOrder(place_request(second), timeout=20)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    reason, metadata, _ = refusal(refused.value)
    assert (reason, metadata) == ("COUPON_REFUSED", {"code": code})
    assert refused.value.details() == f"the code {code} has been used up"
    kept = cart_of(cart_channel, second)
    assert kept.coupon_code == code and len(kept.items) == 1


def test_a_declined_card_gives_the_code_back(checkout, cart_channel, catalog_channel):
    code = make_code(catalog_channel, percent_off=5, total_limit=1)
    owner = shopper_with_code(cart_channel, catalog_channel, code)
    with pytest.raises(grpc.RpcError):
        checkout.PlaceOrder(place_request(owner, card=DECLINED_CARD), timeout=20)
    assert redemptions(catalog_channel, code) == 0
    assert checkout.PlaceOrder(place_request(owner), timeout=20).order.discounts[0].code == code


def test_twenty_concurrent_checkouts_of_a_code_limited_to_five_give_five_discounted_orders(
        checkout, cart_channel, catalog_channel):
    code = make_code(catalog_channel, percent_off=20, total_limit=5)
    product = create_product(catalog_channel, stock=100)
    owners = [shopper_with_code(cart_channel, catalog_channel, code, product, 1) for _ in range(20)]

    def place(owner: str):
        try:
            return checkout.PlaceOrder(place_request(owner), timeout=30).order
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(place, owners))
    orders = [o for o in outcomes if isinstance(o, checkout_pb2.Order)]
    refused = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert len(orders) == 5 and all(o.discounts[0].code == code for o in orders)
    assert len(refused) == 15
    assert all(e.code() == grpc.StatusCode.FAILED_PRECONDITION and code in e.details() for e in refused)
    assert redemptions(catalog_channel, code) == 5


def test_a_cancelled_order_is_refunded_what_was_paid_and_gives_the_code_back(
        checkout, checkout_channel, cart_channel, catalog_channel, payment_channel, postgres):
    code = make_code(catalog_channel, percent_off=25, total_limit=1)
    owner = shopper_with_code(cart_channel, catalog_channel, code)
    with shipping_midway(postgres):  # paid, not yet shipped
        order = checkout.PlaceOrder(place_request(owner), timeout=20).order
        wait_for_status(checkout_channel, owner, order.id, "PAID")
        checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=owner, order_id=order.id), timeout=10)
    refunded = wait_for_status(checkout_channel, owner, order.id, "REFUNDED")
    assert refunded.discounts == order.discounts and amount(refunded.discount_total) == Decimal("5.00")
    payment = payment_pb2_grpc.PaymentServiceStub(payment_channel).GetPayment(
        payment_pb2.GetPaymentRequest(payment_id=order.payment_id), timeout=5).payment
    assert payment.refunded_amount == payment.captured_amount == order.total  # what was paid, after the discount
    wait_until(lambda: redemptions(catalog_channel, code) == 0, 20, "the cancelled order's code given back")
