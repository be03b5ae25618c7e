import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest

from service_runtime import money
from shippingservice.addresses import Address
from shippingservice.errors import InvalidArgument, UnsupportedCurrency
from shippingservice.items import ShipmentItem
from shippingservice.quotes import QuoteRequest, ZoneRates, format_money, price_quote, quote
from shippingservice.rates import zone_for

US = Address("Ada Lovelace", ("1 Market St",), "San Francisco", "CA", "94105", "US")
DE = Address("Erika Mustermann", ("Heidestraße 17",), "Köln", "", "51147", "DE")
JP = Address("Hanako Yamada", ("1-1 Chiyoda",), "Tokyo", "", "100-0001", "JP")


class FixedRates:
    """An honest converter over fixed rates (units per USD), rounding half-even to the
    target's minor unit as the catalog's currency service does. Records what it was asked."""

    def __init__(self, rates: dict[str, str]):
        self.rates = {code: Decimal(rate) for code, rate in rates.items()}
        self.asked: list[Decimal] = []

    async def convert(self, amount, from_code, to_code):
        assert from_code == "USD"
        if to_code not in self.rates:
            raise UnsupportedCurrency(to_code)
        self.asked.append(amount)
        return money.round_to_minor_unit(amount * self.rates[to_code], to_code)


class Unreachable:
    async def convert(self, amount, from_code, to_code):
        raise AssertionError("a USD quote must not convert anything")


def items(*quantities):
    return tuple(ShipmentItem(f"p{i}", q) for i, q in enumerate(quantities))


def run_quote(address, quantities, currency, subtotal, converter=None, subtotal_currency=None):
    request = QuoteRequest(address, items(*quantities), currency, Decimal(subtotal) if subtotal is not None else None,
                           subtotal_currency or currency)
    return asyncio.run(quote(request, converter or Unreachable()))


def amounts(q):
    return [line.amount for line in q.lines]


def test_base_rate_plus_an_amount_per_item():
    q = run_quote(US, [2, 1], "USD", "20.00")
    assert amounts(q) == [Decimal("4.99"), Decimal("2.97")] and q.cost == Decimal("7.96")
    assert [line.description for line in q.lines] == ["Base rate, zone Domestic", "3 items × USD 0.99"]
    assert (q.zone, q.free_shipping_threshold, q.min_delivery_days, q.max_delivery_days) == ("domestic", Decimal("50.00"), 2, 5)


def test_one_item_is_singular():
    assert run_quote(US, [1], "USD", "1.00").lines[1].description == "1 item × USD 0.99"


def test_items_beyond_the_cap_are_not_charged():
    q = run_quote(DE, [7, 8], "USD", "100.00")
    assert amounts(q) == [Decimal("14.99"), Decimal("19.90")] and q.cost == Decimal("34.89")
    assert q.lines[1].description == "10 of 15 items × USD 1.99 (at most 10 items are charged)"


def test_free_at_exactly_the_threshold_and_not_a_cent_below():
    below = run_quote(US, [3], "USD", "49.99")
    assert below.cost == Decimal("7.96") and len(below.lines) == 2
    at = run_quote(US, [3], "USD", "50.00")
    assert at.cost == Decimal("0.00")
    assert at.lines[2].description == "Free shipping over USD 50.00" and at.lines[2].amount == Decimal("-7.96")
    assert run_quote(US, [3], "USD", "500.00").cost == 0


def test_a_zone_without_free_shipping_charges_whatever_the_order_is_worth():
    q = run_quote(JP, [1], "USD", "100000.00")
    assert q.cost == Decimal("27.98") and q.free_shipping_threshold is None and len(q.lines) == 2


def test_a_usd_quote_needs_no_conversion():
    assert run_quote(DE, [1], "USD", "1.00", converter=Unreachable()).cost == Decimal("16.98")


def test_parts_are_converted_one_by_one_then_added_up():
    euros = FixedRates({"EUR": "0.8611"})
    q = run_quote(DE, [2, 1], "EUR", "80.00", converter=euros)
    # 14.99 * 0.8611 = 12.908 -> 12.91; 1.99 * 0.8611 = 1.7136 -> 1.71; 150 * 0.8611 = 129.165 -> 129.16 (half-even)
    assert sorted(euros.asked) == [Decimal("1.99"), Decimal("14.99"), Decimal("150.00")]
    assert amounts(q) == [Decimal("12.91"), Decimal("5.13")]
    assert q.cost == sum(amounts(q)) == Decimal("18.04")
    assert q.free_shipping_threshold == Decimal("129.16")
    assert q.lines[1].description == "3 items × EUR 1.71"


def test_the_converted_threshold_decides_and_the_free_line_cancels_the_rest_exactly():
    q = run_quote(DE, [4], "EUR", "129.16", converter=FixedRates({"EUR": "0.8611"}))
    assert amounts(q) == [Decimal("12.91"), Decimal("6.84"), Decimal("-19.75")] and q.cost == 0
    assert q.lines[2].description == "Free shipping over EUR 129.16"
    assert run_quote(DE, [4], "EUR", "129.15", converter=FixedRates({"EUR": "0.8611"})).cost == Decimal("19.75")


def test_yen_amounts_are_whole_yen():
    q = run_quote(JP, [2], "JPY", "5000", converter=FixedRates({"JPY": "151.649"}))
    # 24.99 * 151.649 = 3789.71 -> 3790; 2.99 * 151.649 = 453.43 -> 453
    assert amounts(q) == [Decimal("3790"), Decimal("906")] and q.cost == Decimal("4696")
    assert q.lines[1].description == "2 items × JPY 453"


def test_format_money_uses_the_currencys_minor_unit():
    assert format_money(Decimal("75"), "EUR") == "EUR 75.00"
    assert format_money(Decimal("1234"), "JPY") == "JPY 1234"


def test_price_quote_sums_exactly_whatever_the_rates():
    zone = zone_for("CA")
    rates = ZoneRates(base_rate=Decimal("13.33"), per_item=Decimal("2.03"), free_shipping_over=Decimal("133.37"))
    for units in range(1, 15):
        for subtotal in (Decimal("0"), Decimal("133.36"), Decimal("133.37")):
            q = price_quote(zone, units, subtotal, rates, "CAD")
            assert q.cost == sum(amounts(q)) and q.cost >= 0


@pytest.mark.parametrize(
    "currency, subtotal, subtotal_currency, message",
    [
        ("", "1.00", "", "currency_code is required"),
        ("eur", "1.00", "eur", "currency_code must be three capital letters"),
        ("EUR", None, "", "subtotal is required"),
        ("EUR", "10.00", "USD", r"subtotal must be in EUR \(the quote's currency_code\), got USD"),
        ("EUR", "-1.00", "EUR", "subtotal must not be negative"),
        ("EUR", "1.005", "EUR", "finer than EUR's smallest unit"),
        ("JPY", "100.5", "JPY", "finer than JPY's smallest unit"),
    ],
)
def test_currency_and_subtotal_rules(currency, subtotal, subtotal_currency, message):
    with pytest.raises(InvalidArgument, match=message):
        run_quote(DE, [1], currency, subtotal, FixedRates({"EUR": "0.9", "JPY": "150"}), subtotal_currency)


def test_an_unsupported_currency_is_named():
    with pytest.raises(UnsupportedCurrency, match="'XYZ'"):
        run_quote(DE, [1], "XYZ", "1.00", FixedRates({"EUR": "0.9"}))


@pytest.mark.parametrize(
    "quantities, message",
    [([], "items must have at least one line"), ([1, 0], r"items\[1\].quantity must be between 1 and 1000, got 0"),
     ([1001], r"items\[0\].quantity must be between 1 and 1000"), ([1] * 51, "at most 50 lines")],
)
def test_item_rules(quantities, message):
    with pytest.raises(InvalidArgument, match=message):
        run_quote(US, quantities, "USD", "1.00")


def test_a_product_id_is_required():
    request = QuoteRequest(US, (ShipmentItem("", 1),), "USD", Decimal(1), "USD")
    with pytest.raises(InvalidArgument, match=r"items\[0\].product_id is required"):
        asyncio.run(quote(request, Unreachable()))


def test_the_address_is_checked_before_anything_else():
    with pytest.raises(InvalidArgument, match="address.postal_code"):
        run_quote(replace(US, postal_code="x"), [], "", None)
