"""Amounts a payment may be for: positive, exact to the currency's smallest unit, in a
currency the shop sells in."""
import json
from decimal import Decimal
from pathlib import Path

import pytest

from paymentservice.amounts import SUPPORTED_CURRENCIES, MoneyInput, check_amount, format_amount
from paymentservice.errors import FieldViolation

RATES = Path(__file__).resolve().parents[2] / "catalogservice" / "rates.json"


def test_the_shop_takes_payments_in_exactly_the_catalogs_currencies():
    rates = json.loads(RATES.read_text())
    assert SUPPORTED_CURRENCIES == {rates["base"], *rates["rates"]}


@pytest.mark.parametrize("given, expected", [
    (MoneyInput("USD", 12, 500_000_000), (Decimal("12.5"), "USD")),
    (MoneyInput("USD", 0, 10_000_000), (Decimal("0.01"), "USD")),
    (MoneyInput("JPY", 1200, 0), (Decimal(1200), "JPY")),
])
def test_a_good_amount_is_exact(given, expected):
    assert check_amount(given, "amount") == expected


@pytest.mark.parametrize("given, violation", [
    (None, FieldViolation("amount", "is required")),
    (MoneyInput("", 10, 0), FieldViolation("amount.currency_code", "is required")),
    (MoneyInput("XYZ", 10, 0), FieldViolation("amount.currency_code", "'XYZ' is not a currency the shop supports")),
    (MoneyInput("usd", 10, 0), FieldViolation("amount.currency_code", "'usd' is not a currency the shop supports")),
    (MoneyInput("USD", 0, 0), FieldViolation("amount", "must be positive")),
    (MoneyInput("USD", -5, 0), FieldViolation("amount", "must be positive")),
    (MoneyInput("USD", 1, -5), FieldViolation("amount", "units and nanos must have the same sign")),
    (MoneyInput("USD", 1, 1_000_000_000),
     FieldViolation("amount", "nanos must be between -999999999 and 999999999, got 1000000000")),
    (MoneyInput("USD", 1, 5_000_000), FieldViolation("amount", "is finer than the smallest unit of USD")),
    (MoneyInput("JPY", 1, 500_000_000), FieldViolation("amount", "is finer than the smallest unit of JPY")),
])
def test_a_bad_amount_names_its_field(given, violation):
    assert check_amount(given, "amount") == violation


def test_amounts_read_as_people_write_them():
    assert format_amount(Decimal("12.5"), "USD") == "USD 12.50"
    assert format_amount(Decimal("1200"), "JPY") == "JPY 1200"
