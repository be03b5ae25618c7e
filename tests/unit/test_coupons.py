"""Coupon rules (decision 0016): what a code takes off a cart, and every reason it may not.
Pure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from catalogservice import coupons
from catalogservice.coupons import Coupon, CouponRefused, Kind, Line, Refusal
from catalogservice.currency import RateTable
from catalogservice.errors import InvalidArgument

RATES = RateTable.load(Path(__file__).resolve().parents[2] / "catalogservice" / "rates.json")
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
MUG = Line("mug", frozenset({"kitchen"}), 2, Decimal("12.50"))
TENT = Line("tent", frozenset({"outdoors"}), 1, Decimal("80.00"))


def off(coupon: Coupon, lines=(MUG, TENT), currency: str = "USD", **kwargs) -> coupons.Discount:
    return coupons.discount(coupon, list(lines), currency, now=NOW, rates=RATES, **kwargs)


def refusal(coupon: Coupon, lines=(MUG, TENT), currency: str = "USD", **kwargs) -> CouponRefused:
    with pytest.raises(CouponRefused) as refused:
        off(coupon, lines, currency, **kwargs)
    return refused.value


def test_a_percentage_comes_off_the_whole_cart_rounded_half_even():
    found = off(Coupon("TEN", Kind.PERCENT, Decimal(10)))
    assert (found.amount, found.applies_to, found.description) == (Decimal("10.50"), Decimal("105.00"), "10% off")
    assert off(Coupon("ODD", Kind.PERCENT, Decimal("12.5")), [MUG]).amount == Decimal("3.12")  # 3.125 → 3.12


def test_a_category_coupon_counts_only_its_lines():
    found = off(Coupon("KITCHEN20", Kind.PERCENT, Decimal(20), categories=frozenset({"kitchen"})))
    assert (found.amount, found.applies_to, found.description) == (Decimal("5.00"), Decimal("25.00"),
                                                                    "20% off kitchen")
    refused = refusal(Coupon("KITCHEN20", Kind.PERCENT, Decimal(20), categories=frozenset({"kitchen"})), [TENT])
    assert refused.why is Refusal.NOT_APPLICABLE
    assert str(refused) == "the code KITCHEN20 does not apply to anything in this cart"


def test_a_fixed_amount_is_converted_as_prices_are_and_never_exceeds_the_cart():
    five = Coupon("FIVE", Kind.AMOUNT, Decimal(5), currency="USD")
    assert off(five).amount == Decimal("5.00")
    in_euros = off(five, currency="EUR").amount
    assert in_euros == RATES.convert(Decimal(5), "USD", "EUR")
    assert off(Coupon("BIG", Kind.AMOUNT, Decimal(500), currency="USD"), [MUG]).amount == Decimal("25.00")
    assert off(five, [Line("mug", frozenset(), 1, Decimal(1000))], currency="JPY").amount == RATES.convert(
        Decimal(5), "USD", "JPY")


def test_a_minimum_subtotal_is_compared_in_the_orders_currency():
    minimum = Coupon("OVER50", Kind.PERCENT, Decimal(10), min_subtotal=Decimal(50), min_currency="USD")
    assert off(minimum).amount == Decimal("10.50")
    refused = refusal(minimum, [MUG])
    assert refused.why is Refusal.BELOW_MINIMUM and "at least 50.00 USD" in str(refused)


@pytest.mark.parametrize("coupon, why", [
    (Coupon("SOON", Kind.PERCENT, Decimal(5), valid_from=NOW + timedelta(days=1)), Refusal.NOT_YET_VALID),
    (Coupon("GONE", Kind.PERCENT, Decimal(5), valid_until=NOW), Refusal.EXPIRED),
    (Coupon("EUROS", Kind.PERCENT, Decimal(5), currencies=frozenset({"EUR"})), Refusal.WRONG_CURRENCY),
])
def test_time_and_currency_refusals(coupon, why):
    assert refusal(coupon).why is why


def test_limits_in_total_and_per_customer_but_not_for_guests():
    limited = Coupon("FIRST5", Kind.PERCENT, Decimal(5), total_limit=5, per_customer_limit=1)
    assert refusal(limited, total_uses=5).why is Refusal.EXHAUSTED
    assert off(limited, total_uses=4, customer_id="user-1", customer_uses=0).amount == Decimal("5.25")
    assert refusal(limited, customer_id="user-1", customer_uses=1).why is Refusal.CUSTOMER_LIMIT
    assert off(limited, customer_id="guest:abc", customer_uses=3).amount == Decimal("5.25")


@pytest.mark.parametrize("typed, code", [("  summer-10 ", "SUMMER-10"), ("abc", "ABC")])
def test_codes_are_normalized(typed, code):
    assert coupons.normalized_code(typed) == code


@pytest.mark.parametrize("typed", ["", "ab", "-ABC", "a b c", "X" * 33, "naïve"])
def test_codes_that_cannot_be_are_refused(typed):
    with pytest.raises(InvalidArgument):
        coupons.normalized_code(typed)


@pytest.mark.parametrize("coupon, says", [
    (Coupon("ZERO", Kind.PERCENT, Decimal(0)), "more than 0 and at most 100"),
    (Coupon("TOOMUCH", Kind.PERCENT, Decimal(101)), "more than 0 and at most 100"),
    (Coupon("CENTS", Kind.AMOUNT, Decimal("1.005"), currency="USD"), "whole USD minor units"),
    (Coupon("YEN", Kind.AMOUNT, Decimal("1.5"), currency="JPY"), "whole JPY minor units"),
    (Coupon("MIN", Kind.PERCENT, Decimal(5), min_subtotal=Decimal(10)), "needs its currency"),
    (Coupon("BACKWARDS", Kind.PERCENT, Decimal(5), valid_from=NOW, valid_until=NOW), "end after it starts"),
    (Coupon("NEG", Kind.PERCENT, Decimal(5), total_limit=-1), "limits are 0"),
])
def test_coupons_an_admin_cannot_save(coupon, says):
    with pytest.raises(InvalidArgument, match=says):
        coupons.check_coupon(coupon)
