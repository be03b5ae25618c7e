"""The quote rule: a base rate for the destination's zone plus an amount per item (up to
a cap), free when the order is worth at least the zone's threshold. The zone's USD
amounts are converted to the quote's currency one by one, then added up, so the
breakdown always sums exactly to the cost. No I/O: conversion goes through the
Converter handed in."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from service_runtime import money

from shippingservice.addresses import Address, validate_address
from shippingservice.errors import InvalidArgument
from shippingservice.items import ShipmentItem, check_items, unit_count
from shippingservice.rates import RATE_CURRENCY, Zone, zone_for

_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class Converter(Protocol):
    async def convert(self, amount: Decimal, from_code: str, to_code: str) -> Decimal:
        """amount in from_code as to_code, rounded to to_code's minor unit."""


@dataclass(frozen=True)
class QuoteRequest:
    address: Address | None
    items: tuple[ShipmentItem, ...]
    currency_code: str
    # The items' value as the shopper sees it; None when the caller sent none.
    subtotal: Decimal | None
    subtotal_currency: str


@dataclass(frozen=True)
class ZoneRates:
    """A zone's amounts in the quote's currency."""

    base_rate: Decimal
    per_item: Decimal
    free_shipping_over: Decimal | None


@dataclass(frozen=True)
class QuoteLine:
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    currency_code: str
    cost: Decimal
    lines: tuple[QuoteLine, ...]
    zone: str
    free_shipping_threshold: Decimal | None
    min_delivery_days: int
    max_delivery_days: int


def format_money(amount: Decimal, currency_code: str) -> str:
    """"EUR 75.00", "JPY 1234": how the breakdown names an amount."""
    return f"{currency_code} {amount:.{money.minor_unit_exponent(currency_code)}f}"


def check_currency_code(code: str) -> str:
    if not code:
        raise InvalidArgument("currency_code is required (ISO 4217, e.g. EUR)")
    if not _CURRENCY_CODE.match(code):
        raise InvalidArgument(f"currency_code must be three capital letters (ISO 4217, e.g. EUR), got {code!r}")
    return code


def check_subtotal(subtotal: Decimal | None, subtotal_currency: str, currency_code: str) -> Decimal:
    if subtotal is None:
        raise InvalidArgument(f"subtotal is required: the items' value in {currency_code}")
    if subtotal_currency != currency_code:
        raise InvalidArgument(
            f"subtotal must be in {currency_code} (the quote's currency_code), got {subtotal_currency or 'no currency'}"
        )
    if subtotal < 0:
        raise InvalidArgument("subtotal must not be negative")
    if money.has_sub_minor_precision(subtotal, currency_code):
        raise InvalidArgument(f"subtotal {subtotal} is finer than {currency_code}'s smallest unit")
    return subtotal


def check_quote_request(request: QuoteRequest) -> QuoteRequest:
    """The request with its address tidied, or InvalidArgument naming what is wrong."""
    address = validate_address(request.address)
    items = check_items(request.items)
    currency = check_currency_code(request.currency_code)
    subtotal = check_subtotal(request.subtotal, request.subtotal_currency, currency)
    return QuoteRequest(address, items, currency, subtotal, currency)


def price_quote(zone: Zone, units: int, subtotal: Decimal, rates: ZoneRates, currency_code: str) -> Quote:
    """The quote for `units` items worth `subtotal`, all amounts in currency_code."""
    charged = min(units, zone.max_charged_items)
    items_amount = rates.per_item * charged
    each = format_money(rates.per_item, currency_code)
    if charged == units:
        items_text = f"{units} item{'s' if units != 1 else ''} × {each}"
    else:
        items_text = f"{charged} of {units} items × {each} (at most {zone.max_charged_items} items are charged)"
    lines = [QuoteLine(f"Base rate, zone {zone.label}", rates.base_rate), QuoteLine(items_text, items_amount)]
    threshold = rates.free_shipping_over
    if threshold is not None and subtotal >= threshold:
        lines.append(QuoteLine(
            f"Free shipping over {format_money(threshold, currency_code)}", -(rates.base_rate + items_amount)
        ))
    return Quote(
        currency_code=currency_code,
        cost=sum((line.amount for line in lines), Decimal(0)),
        lines=tuple(lines),
        zone=zone.name,
        free_shipping_threshold=threshold,
        min_delivery_days=zone.min_delivery_days,
        max_delivery_days=zone.max_delivery_days,
    )


async def rates_in(zone: Zone, currency_code: str, converter: Converter) -> ZoneRates:
    """The zone's USD amounts in currency_code, each converted on its own. A USD quote
    needs no conversion, so it works even while the currency service is away."""
    amounts = [zone.base_rate, zone.per_item]
    if zone.free_shipping_over is not None:
        amounts.append(zone.free_shipping_over)
    if currency_code == RATE_CURRENCY:
        converted = amounts
    else:
        converted = await asyncio.gather(
            *(converter.convert(amount, RATE_CURRENCY, currency_code) for amount in amounts)
        )
    threshold = converted[2] if zone.free_shipping_over is not None else None
    return ZoneRates(base_rate=converted[0], per_item=converted[1], free_shipping_over=threshold)


async def quote(request: QuoteRequest, converter: Converter) -> Quote:
    """What shipping the request's items to its address costs in its currency."""
    request = check_quote_request(request)
    zone = zone_for(request.address.country_code)
    rates = await rates_in(zone, request.currency_code, converter)
    return price_quote(zone, unit_count(request.items), request.subtotal, rates, request.currency_code)
