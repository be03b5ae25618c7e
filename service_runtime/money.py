"""Exact money: Decimal amounts, minor units per currency, and the google.type.Money
wire form (units + nanos). Never a float."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

NANOS_PER_UNIT = 1_000_000_000
_CODE = re.compile(r"^[A-Z]{3}$")

# ISO 4217 minor-unit exponents that differ from the usual two.
_EXPONENT_EXCEPTIONS = {"JPY": 0, "KRW": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3}


class InvalidMoney(ValueError):
    """An amount or currency code that is not well formed."""


def minor_unit_exponent(currency_code: str) -> int:
    return _EXPONENT_EXCEPTIONS.get(currency_code, 2)


def check_currency_code(code: str) -> str:
    if not _CODE.match(code or ""):
        raise InvalidMoney(f"currency code must be three capital letters (ISO 4217), got {code!r}")
    return code


def from_units_nanos(units: int, nanos: int) -> Decimal:
    """The exact amount of a google.type.Money's units and nanos, checked as the type demands."""
    if not -NANOS_PER_UNIT < nanos < NANOS_PER_UNIT:
        raise InvalidMoney(f"nanos must be between -999999999 and 999999999, got {nanos}")
    if (units > 0 and nanos < 0) or (units < 0 and nanos > 0):
        raise InvalidMoney("units and nanos must have the same sign")
    return Decimal(units) + Decimal(nanos).scaleb(-9)


def to_units_nanos(amount: Decimal) -> tuple[int, int]:
    """Split an amount into google.type.Money's units and nanos (same sign, truncated
    past nine decimal places is an error rather than a silent loss)."""
    try:
        quantized = amount.quantize(Decimal("1e-9"))
    except InvalidOperation:
        raise InvalidMoney(f"amount {amount} is out of range") from None
    if quantized != amount:
        raise InvalidMoney(f"amount {amount} has more than nine decimal places")
    units = int(quantized)  # truncates toward zero, so nanos keeps the sign of units
    nanos = int((quantized - units) * NANOS_PER_UNIT)
    return units, nanos


def round_to_minor_unit(amount: Decimal, currency_code: str) -> Decimal:
    """Round half-even to the currency's smallest coin (cents for USD, yen for JPY)."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit_exponent(currency_code)), ROUND_HALF_EVEN)


def has_sub_minor_precision(amount: Decimal, currency_code: str) -> bool:
    """True when the amount is finer than the currency's minor unit (e.g. 1.005 USD)."""
    return round_to_minor_unit(amount, currency_code) != amount
