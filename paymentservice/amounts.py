"""Amounts a payment may be for, pure: positive, exact to the currency's smallest coin,
in a currency the shop sells in."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from service_runtime import money

from paymentservice.errors import FieldViolation

# The currencies the shop sells in: those of the catalog's exchange-rate snapshot
# (catalogservice/rates.json; a unit test keeps the two in step).
SUPPORTED_CURRENCIES = frozenset({
    "AUD", "BRL", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "ILS", "INR", "JPY",
    "KRW", "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "TRY", "USD", "ZAR",
})


@dataclass(frozen=True)
class MoneyInput:
    """An amount as it arrived (google.type.Money's parts), before any check."""

    currency_code: str
    units: int
    nanos: int


def check_amount(given: MoneyInput | None, field: str) -> tuple[Decimal, str] | FieldViolation:
    """The exact amount and its currency, or what is wrong with them."""
    if given is None:
        return FieldViolation(field, "is required")
    code = given.currency_code
    if not code:
        return FieldViolation(f"{field}.currency_code", "is required")
    if code not in SUPPORTED_CURRENCIES:
        return FieldViolation(f"{field}.currency_code", f"{code!r} is not a currency the shop supports")
    try:
        amount = money.from_units_nanos(given.units, given.nanos)
    except money.InvalidMoney as exc:
        return FieldViolation(field, str(exc))
    if amount <= 0:
        return FieldViolation(field, "must be positive")
    if money.has_sub_minor_precision(amount, code):
        return FieldViolation(field, f"is finer than the smallest unit of {code}")
    return amount, code


def format_amount(amount: Decimal, currency_code: str) -> str:
    """For messages: 'USD 12.50'."""
    return f"{currency_code} {money.round_to_minor_unit(amount, currency_code):f}"
