"""Coupons in catalogservice (decision 0016), against its real database: admins create,
list and end codes; a code is priced for a cart without being used; ReserveStock redeems it
with the stock, all or nothing, once per order (a retry answers with the same discount);
releasing the stock gives the code back; and limits hold under concurrent checkouts."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, coupons_pb2, coupons_pb2_grpc
from tests.integration.catalog_helpers import create_product


@pytest.fixture
def coupons(catalog_channel):
    return coupons_pb2_grpc.CouponServiceStub(catalog_channel)


@pytest.fixture
def catalog(catalog_channel):
    return catalog_pb2_grpc.CatalogServiceStub(catalog_channel)


def new_code(prefix: str = "TEST") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def usd(units: int, nanos: int = 0) -> dict:
    return {"currency_code": "USD", "units": units, "nanos": nanos}


def make(coupons, **fields) -> coupons_pb2.Coupon:
    coupon = coupons_pb2.Coupon(code=fields.pop("code", new_code()), **fields)
    return coupons.CreateCoupon(coupons_pb2.CreateCouponRequest(coupon=coupon), timeout=5).coupon


def priced(product, quantity: int = 1, units: int = 20) -> coupons_pb2.PricedLine:
    return coupons_pb2.PricedLine(product_id=product.id, quantity=quantity, unit_price=usd(units))


def reserve(catalog, order_id: str, product, code: str, *, quantity: int = 1, customer: str = "user-1"):
    return catalog.ReserveStock(catalog_pb2.ReserveStockRequest(
        order_id=order_id, lines=[catalog_pb2.StockLine(product_id=product.id, quantity=quantity)],
        coupon_code=code, priced_lines=[priced(product, quantity)], currency_code="USD", customer_id=customer),
        timeout=10)


def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def redemptions(coupons, code: str) -> int:
    listed = coupons.ListCoupons(coupons_pb2.ListCouponsRequest(page_size=100), timeout=5).coupons
    return next(c.redemptions for c in listed if c.code == code)


def test_an_admin_creates_lists_and_ends_a_code(coupons):
    code = new_code("SUMMER")
    made = make(coupons, code=code.lower(), percent_off=15, categories=["kitchen"], total_limit=50)
    assert (made.code, made.percent_off, list(made.categories), made.redemptions) == (code, 15, ["kitchen"], 0)
    assert refused(lambda: make(coupons, code=code, percent_off=5)).code() == grpc.StatusCode.ALREADY_EXISTS
    bad = refused(lambda: make(coupons, percent_off=10, amount_off=usd(5)))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "one of the two" in bad.details()
    coupons.DeleteCoupon(coupons_pb2.DeleteCouponRequest(code=code), timeout=5)
    listed = coupons.ListCoupons(coupons_pb2.ListCouponsRequest(page_size=100), timeout=5).coupons
    assert code not in [c.code for c in listed]
    gone = refused(lambda: coupons.DeleteCoupon(coupons_pb2.DeleteCouponRequest(code=code), timeout=5))
    assert gone.code() == grpc.StatusCode.NOT_FOUND


def test_a_code_is_priced_for_a_cart_and_refusals_say_why(coupons, catalog_channel):
    mug = create_product(catalog_channel, stock=5, categories=("kitchen",))
    code = make(coupons, amount_off=usd(5), min_subtotal=usd(30)).code
    ask = lambda quantity, currency="USD": coupons.PriceCoupon(coupons_pb2.PriceCouponRequest(  # noqa: E731
        coupon_code=code.lower(), lines=[coupons_pb2.CartLine(product_id=mug.id, quantity=quantity),
                                         coupons_pb2.CartLine(product_id="no-such-product", quantity=1)],
        currency_code=currency, customer_id="guest:x"), timeout=5)
    reply = ask(4)  # the helper's products cost 9.99 USD
    assert (reply.discount.code, reply.discount.amount.units, reply.discount.description) == (code, 5, "5.00 USD off")
    assert (reply.subtotal.units, reply.subtotal.nanos) == (39, 960_000_000)
    in_euros = ask(4, "EUR")
    assert in_euros.discount.amount.currency_code == "EUR" and in_euros.subtotal.currency_code == "EUR"
    below = refused(lambda: ask(1))
    assert below.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert below.details() == f"the code {code} needs a larger order: at least 30.00 USD"
    unknown = refused(lambda: coupons.PriceCoupon(coupons_pb2.PriceCouponRequest(
        coupon_code="NOPE-123", lines=[coupons_pb2.CartLine(product_id=mug.id, quantity=1)], currency_code="USD"),
        timeout=5))
    assert unknown.details() == "the code NOPE-123 is not a code we know"


def test_a_reservation_redeems_once_and_a_release_gives_it_back(coupons, catalog, catalog_channel):
    lamp = create_product(catalog_channel, stock=5)
    code = make(coupons, percent_off=10, total_limit=1).code
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    first = reserve(catalog, order_id, lamp, code)
    assert first.newly_reserved and (first.discount.amount.units, first.discount.amount.nanos) == (2, 0)
    again = reserve(catalog, order_id, lamp, code)  # checkout's retry
    assert not again.newly_reserved and again.discount.code == code and again.discount.amount.units == 2
    assert redemptions(coupons, code) == 1

    other = f"order-{uuid.uuid4().hex[:8]}"
    used_up = refused(lambda: reserve(catalog, other, lamp, code))
    assert used_up.code() == grpc.StatusCode.FAILED_PRECONDITION and "has been used up" in used_up.details()
    assert catalog.GetProduct(catalog_pb2.GetProductRequest(id=lamp.id), timeout=5).product.stock == 4  # nothing taken

    catalog.ReleaseStock(catalog_pb2.ReleaseStockRequest(order_id=order_id), timeout=5)
    assert redemptions(coupons, code) == 0
    assert reserve(catalog, other, lamp, code).discount.code == code


def test_twenty_concurrent_checkouts_of_a_code_limited_to_five_redeem_it_five_times(coupons, catalog,
                                                                                    catalog_channel):
    kettle = create_product(catalog_channel, stock=100)
    code = make(coupons, amount_off=usd(3), total_limit=5).code

    def checkout(n: int):
        try:
            return reserve(catalog, f"race-{uuid.uuid4().hex[:8]}-{n}", kettle, code, customer=f"user-{n}")
        except grpc.RpcError as error:
            return error

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(checkout, range(20)))
    won = [o for o in outcomes if not isinstance(o, grpc.RpcError)]
    lost = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert len(won) == 5 and all(o.discount.amount.units == 3 for o in won)
    assert len(lost) == 15 and all(o.code() == grpc.StatusCode.FAILED_PRECONDITION and code in o.details()
                                   for o in lost)
    assert redemptions(coupons, code) == 5
    assert catalog.GetProduct(catalog_pb2.GetProductRequest(id=kettle.id), timeout=5).product.stock == 95


def test_the_per_customer_limit_counts_accounts_not_guests(coupons, catalog, catalog_channel):
    cup = create_product(catalog_channel, stock=20)
    code = make(coupons, percent_off=5, per_customer_limit=1).code
    reserve(catalog, f"order-{uuid.uuid4().hex[:8]}", cup, code, customer="user-7")
    again = refused(lambda: reserve(catalog, f"order-{uuid.uuid4().hex[:8]}", cup, code, customer="user-7"))
    assert "as many times as it may be on your account" in again.details()
    for _ in range(2):
        reserve(catalog, f"order-{uuid.uuid4().hex[:8]}", cup, code, customer=f"guest:{uuid.uuid4()}")


def test_a_code_outside_its_window_is_refused(coupons, catalog, catalog_channel):
    cup = create_product(catalog_channel, stock=5)
    later = Timestamp()
    later.FromDatetime(datetime.now(timezone.utc) + timedelta(days=2))
    code = make(coupons, percent_off=5, valid_from=later).code
    early = refused(lambda: reserve(catalog, f"order-{uuid.uuid4().hex[:8]}", cup, code))
    assert early.details() == f"the code {code} is not valid yet"


def test_promotions_are_the_live_advertised_codes_that_fit_the_categories(coupons, catalog, catalog_channel):
    kitchen = make(coupons, percent_off=20, categories=["kitchen"], banner="20% off the kitchen").code
    everywhere = make(coupons, percent_off=5, banner="5% off everything").code
    quiet = make(coupons, percent_off=50).code  # not advertised
    used_up = make(coupons, percent_off=30, categories=["kitchen"], total_limit=1, banner="30% off, once").code
    reserve(catalog, f"order-{uuid.uuid4().hex[:8]}", create_product(catalog_channel, stock=5), used_up)

    def shown(*categories, limit=10):
        found = coupons.ListPromotions(coupons_pb2.ListPromotionsRequest(categories=categories, limit=limit),
                                       timeout=5).promotions
        return [(p.code, p.banner) for p in found]

    for_kitchen = shown("kitchen")
    assert (kitchen, "20% off the kitchen") in for_kitchen and (everywhere, "5% off everything") in for_kitchen
    assert quiet not in [c for c, _ in for_kitchen] and used_up not in [c for c, _ in for_kitchen]
    assert kitchen not in [c for c, _ in shown("outdoors")]
    assert len(shown("kitchen", limit=1)) == 1
    too_long = refused(lambda: make(coupons, percent_off=5, banner="x" * 141))
    assert too_long.code() == grpc.StatusCode.INVALID_ARGUMENT and "banner" in too_long.details()


def test_promotions_for_products_are_those_of_their_categories(coupons, catalog_channel):
    kitchen = make(coupons, percent_off=20, categories=["kitchen"], banner="20% off the kitchen").code
    kettle = create_product(catalog_channel, stock=5, categories=("kitchen",))
    tent = create_product(catalog_channel, stock=5, categories=("outdoors",))

    def shown(**asked):
        return [p.code for p in coupons.ListPromotions(coupons_pb2.ListPromotionsRequest(limit=10, **asked),
                                                       timeout=5).promotions]

    assert kitchen in shown(product_ids=[kettle.id]) and kitchen in shown(product_ids=[tent.id, kettle.id])
    assert kitchen not in shown(product_ids=[tent.id]) and kitchen not in shown(product_ids=["no-such-product"])
    assert kitchen in shown(product_ids=[tent.id], categories=["kitchen"])
    too_many = refused(lambda: shown(product_ids=[f"p-{i}" for i in range(101)]))
    assert too_many.code() == grpc.StatusCode.INVALID_ARGUMENT and "100 product ids" in too_many.details()
