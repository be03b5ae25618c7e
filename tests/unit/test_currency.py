from decimal import Decimal
from pathlib import Path

import pytest

from catalogservice.currency import RateTable
from catalogservice.errors import UnsupportedCurrency

TABLE = RateTable.from_json('{"base": "EUR", "date": "2026-01-01", "rates": {"USD": "1.25", "JPY": "160.3"}}')


def test_conversion_goes_through_the_base_and_rounds_to_the_minor_unit():
    assert TABLE.convert(Decimal("10.00"), "USD", "EUR") == Decimal("8.00")
    assert TABLE.convert(Decimal("10.00"), "EUR", "USD") == Decimal("12.50")
    assert TABLE.convert(Decimal("10.00"), "USD", "JPY") == Decimal("1282")


def test_same_currency_conversion_only_rounds():
    assert TABLE.convert(Decimal("3.10"), "USD", "USD") == Decimal("3.10")


def test_unsupported_currencies_are_named():
    with pytest.raises(UnsupportedCurrency, match="'XXX'"):
        TABLE.convert(Decimal(1), "USD", "XXX")


def test_the_shipped_snapshot_loads_and_includes_the_catalog_currency():
    table = RateTable.load(Path(__file__).parents[2] / "catalogservice" / "rates.json")
    assert {"USD", "EUR", "GBP", "JPY"} <= set(table.codes())
    assert table.convert(Decimal("100"), "USD", "USD") == Decimal("100.00")
