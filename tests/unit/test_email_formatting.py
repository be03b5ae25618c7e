"""Amounts, dates and addresses as the emails write them: exact, never through a float."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from emailservice.formatting import address_lines, aligned, format_date, format_money
from emailservice.orders import Address


@pytest.mark.parametrize("amount, currency, shown", [
    ("1234.5", "USD", "$1,234.50"),
    ("0.1", "USD", "$0.10"),
    ("0", "EUR", "€0.00"),
    ("1E+2", "EUR", "€100.00"),
    ("19.99", "EUR", "€19.99"),
    ("1234567.89", "GBP", "£1,234,567.89"),
    ("1235", "JPY", "¥1,235"),
    ("126900", "JPY", "¥126,900"),
    ("12.5", "CHF", "CHF 12.50"),
    ("-5", "USD", "-$5.00"),
    ("4.005", "KWD", "KWD 4.005"),
])
def test_amounts_show_the_currencys_minor_units(amount, currency, shown):
    assert format_money(Decimal(amount), currency) == shown


@pytest.mark.parametrize("amount, currency, shown", [
    ("1.005", "USD", "$1.005"),
    ("0.30000000000000004", "USD", "$0.30000000000000004"),
    ("99.5", "JPY", "¥99.5"),
])
def test_amounts_finer_than_a_coin_are_shown_whole_rather_than_rounded(amount, currency, shown):
    assert format_money(Decimal(amount), currency) == shown


def test_dates_are_in_utc_and_spelled_out():
    assert format_date(datetime(2025, 3, 12, 23, 30, tzinfo=timezone(timedelta(hours=-5)))) == "13 March 2025"
    assert format_date(None) == ""


@pytest.mark.parametrize("address, lines", [
    (Address("Ada Lovelace", ("1 Main St", "Apt 4"), "Boston", "MA", "02110", "US"),
     ["Ada Lovelace", "1 Main St", "Apt 4", "Boston, MA 02110", "United States"]),
    (Address("Ada Lovelace", ("12 St James's Square",), "London", "", "SW1Y 4JH", "GB"),
     ["Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "United Kingdom"]),
    (Address("Erika  Mustermann", ("Heidestraße 17",), "Köln", "", "51147", "DE"),
     ["Erika Mustermann", "Heidestraße 17", "51147 Köln", "Germany"]),
    (Address("Taro Yamada", ("1-1 Chiyoda",), "Tokyo", "Tokyo-to", "100-0001", "XX"),
     ["Taro Yamada", "1-1 Chiyoda", "100-0001 Tokyo", "Tokyo-to", "XX"]),
])
def test_addresses_are_written_the_way_each_country_writes_them(address, lines):
    assert address_lines(address) == lines


def test_aligned_rows_wrap_long_labels_and_keep_the_value_on_the_last_line():
    row = aligned("1 × " + "very long product name " * 4, "$10.00", width=40)
    lines = row.splitlines()
    assert len(lines) > 1 and lines[-1].endswith("$10.00") and len(lines[-1]) == 40
    assert all(line.startswith("    ") for line in lines[1:])
