from decimal import Decimal

import pytest

from service_runtime import money


@pytest.mark.parametrize(
    "amount, units, nanos",
    [
        (Decimal("12.99"), 12, 990_000_000),
        (Decimal("-1.75"), -1, -750_000_000),
        (Decimal("0.000000001"), 0, 1),
        (Decimal("-0.5"), 0, -500_000_000),
        (Decimal("1000000"), 1_000_000, 0),
    ],
)
def test_amounts_split_into_units_and_nanos_and_back_exactly(amount, units, nanos):
    assert money.to_units_nanos(amount) == (units, nanos)
    assert money.from_units_nanos(units, nanos) == amount


def test_more_than_nine_decimals_is_refused_rather_than_truncated():
    with pytest.raises(money.InvalidMoney, match="nine decimal places"):
        money.to_units_nanos(Decimal("0.0000000001"))


@pytest.mark.parametrize("units, nanos", [(1, -5), (-1, 5), (0, 1_000_000_000), (0, -1_000_000_000)])
def test_money_that_breaks_the_type_rules_is_refused(units, nanos):
    with pytest.raises(money.InvalidMoney):
        money.from_units_nanos(units, nanos)


def test_rounding_is_half_even_to_the_minor_unit():
    assert money.round_to_minor_unit(Decimal("1.005"), "USD") == Decimal("1.00")
    assert money.round_to_minor_unit(Decimal("1.015"), "USD") == Decimal("1.02")
    assert money.round_to_minor_unit(Decimal("150.5"), "JPY") == Decimal("150")
    assert money.round_to_minor_unit(Decimal("151.5"), "JPY") == Decimal("152")


def test_sub_minor_precision_depends_on_the_currency():
    assert money.has_sub_minor_precision(Decimal("1.001"), "USD")
    assert not money.has_sub_minor_precision(Decimal("1.01"), "USD")
    assert money.has_sub_minor_precision(Decimal("1.5"), "JPY")


@pytest.mark.parametrize("code", ["usd", "US", "USDX", "", "U$D"])
def test_currency_codes_must_be_three_capital_letters(code):
    with pytest.raises(money.InvalidMoney):
        money.check_currency_code(code)
