"""Prices as a visitor reads them: "$1,234.50", "€13.78", "¥1,235". Pure."""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from service_runtime.money import from_units_nanos, minor_unit_exponent

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "CHF": "CHF ",
           "SEK": "SEK ", "NOK": "NOK ", "DKK": "DKK ", "PLN": "zł ", "CZK": "Kč ", "TRY": "₺", "BRL": "R$",
           "INR": "₹", "KRW": "₩", "SGD": "S$", "NZD": "NZ$", "ZAR": "R ", "MXN": "MX$", "ILS": "₪"}


def format_amount(currency_code: str, amount: Decimal) -> str:
    exponent = minor_unit_exponent(currency_code)
    rounded = amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_EVEN)
    sign = "-" if rounded < 0 else ""
    symbol = SYMBOLS.get(currency_code, f"{currency_code} ")
    return f"{sign}{symbol}{abs(rounded):,.{exponent}f}"


def format_money(money) -> str:
    """A google.type.Money (or anything with currency_code, units and nanos)."""
    return format_amount(money.currency_code, from_units_nanos(money.units, money.nanos))
