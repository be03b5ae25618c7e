"""How amounts, dates and addresses read in an email: exact, never through a float."""
from __future__ import annotations

import textwrap
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal

from service_runtime.money import minor_unit_exponent

from emailservice.orders import Address, Order

# Symbols only where they name one currency unambiguously for an English reader; every
# other currency is written with its code ("CHF 12.50").
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪"}

COUNTRY_NAMES = {
    "AT": "Austria", "AU": "Australia", "BE": "Belgium", "BG": "Bulgaria", "BR": "Brazil", "CA": "Canada",
    "CH": "Switzerland", "CY": "Cyprus", "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "EE": "Estonia",
    "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GR": "Greece", "HR": "Croatia",
    "HU": "Hungary", "IE": "Ireland", "IL": "Israel", "IN": "India", "IS": "Iceland", "IT": "Italy",
    "JP": "Japan", "KR": "South Korea", "LI": "Liechtenstein", "LT": "Lithuania", "LU": "Luxembourg",
    "LV": "Latvia", "MT": "Malta", "MX": "Mexico", "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand",
    "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden", "SG": "Singapore", "SI": "Slovenia",
    "SK": "Slovakia", "US": "United States", "ZA": "South Africa",
}
# Countries whose addresses end "City, REGION POSTCODE"; elsewhere "POSTCODE City".
_CITY_REGION_POSTCODE = {"US", "CA", "AU"}
# Countries whose postcode stands on its own line after the town.
_POSTCODE_LAST = {"GB", "IE"}

TEXT_WIDTH = 60


def format_money(amount: Decimal, currency: str) -> str:
    """An amount as a shop shows it: "$1,234.50", "€0.99", "¥1,235", "CHF 12.00". Always
    the currency's minor unit of decimals, more only if the amount has them (never
    rounded away)."""
    exponent = minor_unit_exponent(currency)
    places = max(exponent, -amount.normalize().as_tuple().exponent)
    digits = f"{abs(amount):,.{places}f}"
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency} {digits}"


def format_date(moment: datetime | None) -> str:
    """ "12 March 2025" (UTC), or "" when unknown."""
    if moment is None:
        return ""
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment
    return f"{moment.day} {moment:%B %Y}"


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def address_lines(address: Address | None) -> list[str]:
    """The address as it is written on a parcel, one line per entry."""
    if address is None:
        return []
    lines = [address.name, *address.lines]
    if address.country_code in _CITY_REGION_POSTCODE:
        lines.append(f"{address.city}, {' '.join(p for p in (address.region, address.postal_code) if p)}")
    elif address.country_code in _POSTCODE_LAST:
        lines += [address.city, address.postal_code]
    else:
        lines.append(" ".join(p for p in (address.postal_code, address.city) if p))
        if address.region:
            lines.append(address.region)
    lines.append(country_name(address.country_code))
    return [line for line in (" ".join(line.split()) for line in lines) if line]


def _display_width(text: str) -> int:
    """Columns the text takes in a monospaced font (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def aligned(label: str, value: str, width: int = TEXT_WIDTH) -> str:
    """label on the left, value flush right; wrapped when they do not fit on one line."""
    room = width - _display_width(value) - 2
    wrapped = textwrap.wrap(label, max(room, 10), subsequent_indent="    ") or [""]
    last = wrapped[-1]
    padding = max(width - _display_width(last) - _display_width(value), 2)
    return "\n".join([*wrapped[:-1], f"{last}{' ' * padding}{value}"])


def text_summary(order: Order) -> str:
    """The order's lines and totals as plain text, amounts in a right-aligned column."""
    money = lambda amount: format_money(amount, order.currency)  # noqa: E731
    rows = []
    for line in order.lines:
        rows.append(aligned(f"{line.quantity} × {line.name}", money(line.line_total)))
        if line.quantity > 1:
            rows.append(f"    {money(line.unit_price)} each")
    rows.append("-" * TEXT_WIDTH)
    rows.append(aligned("Subtotal", money(order.subtotal)))
    for discount in order.discounts:
        rows.append(aligned(f"Discount, {discount.description}", "-" + money(discount.amount)))
    rows.append(aligned("Shipping", money(order.shipping_cost) if order.shipping_cost else "Free"))
    rows.append(aligned("Total", money(order.total)))
    return "\n".join(rows)
