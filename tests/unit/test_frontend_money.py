from decimal import Decimal

import pytest

from frontend.currencies import safe_next
from frontend.money import format_amount, format_money
from frontend.visitor import parse_session_id
from google.type import money_pb2


@pytest.mark.parametrize("code, amount, text", [
    ("USD", "1234.5", "$1,234.50"), ("EUR", "13.785", "€13.78"), ("JPY", "1234.5", "¥1,234"),
    ("GBP", "0", "£0.00"), ("XYZ", "2", "XYZ 2.00"), ("USD", "-3.1", "-$3.10"),
])
def test_amounts_read_as_people_write_them(code, amount, text):
    assert format_amount(code, Decimal(amount)) == text


def test_a_money_message_formats_exactly():
    assert format_money(money_pb2.Money(currency_code="USD", units=24, nanos=500_000_000)) == "$24.50"


@pytest.mark.parametrize("value, expected", [
    ("0b8f3c6e-3f1a-4c2e-9d1b-2a7e5f6c8d90", "0b8f3c6e-3f1a-4c2e-9d1b-2a7e5f6c8d90"),
    ("0B8F3C6E-3F1A-4C2E-9D1B-2A7E5F6C8D90", "0b8f3c6e-3f1a-4c2e-9d1b-2a7e5f6c8d90"),
    ("not-a-uuid", None), ("", None), (None, None), ("0b8f3c6e3f1a4c2e9d1b2a7e5f6c8d90", None),
])
def test_only_a_uuid_is_a_session_id(value, expected):
    assert parse_session_id(value) == expected


@pytest.mark.parametrize("target, expected", [
    ("/search?q=mug", "/search?q=mug"), ("/", "/"), (None, "/"), ("", "/"), ("https://evil.example", "/"),
    ("//evil.example", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
])
def test_only_same_site_paths_are_followed(target, expected):
    assert safe_next(target) == expected
