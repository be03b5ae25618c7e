"""The website's kept conversions (frontend/exchange.py): each (price, currency) asked of the
catalog once a minute per catalog client, the rest answered from what was kept; failures
never kept."""
from __future__ import annotations

import pytest
from google.type import money_pb2

from shop.catalog.v1 import currency_pb2

from frontend import exchange
from frontend.clients import ServiceUnavailable
from tests.support.clock import ManualClock


def usd(units: int, nanos: int = 0):
    return money_pb2.Money(currency_code="USD", units=units, nanos=nanos)


class Catalog:
    """ConvertMany at half the amount (whole units only), recording what it was asked."""

    def __init__(self):
        self.asked: list[list[tuple[int, str]]] = []
        self.failing = False

    def ConvertMany(self, request):
        self.asked.append([(m.units, request.to_currency_code) for m in request.amounts])
        if self.failing:
            raise ServiceUnavailable("catalog", "rates unavailable")
        return currency_pb2.ConvertManyResponse(amounts=[
            money_pb2.Money(currency_code=request.to_currency_code, units=m.units // 2) for m in request.amounts])


def test_only_what_was_not_converted_within_a_minute_is_asked_for():
    catalog, clock = Catalog(), ManualClock(1000.0)
    conversions = exchange.Conversions(clock)
    assert [m.units for m in conversions.convert(catalog, [usd(10), usd(20), usd(10)], "EUR")] == [5, 10, 5]
    assert catalog.asked == [[(10, "EUR"), (20, "EUR")]], "each distinct amount once"
    clock.now += 59
    assert [m.units for m in conversions.convert(catalog, [usd(20), usd(40)], "EUR")] == [10, 20]
    assert catalog.asked[1:] == [[(40, "EUR")]]
    assert [m.units for m in conversions.convert(catalog, [usd(20)], "GBP")] == [10]
    assert catalog.asked[2:] == [[(20, "GBP")]], "kept per currency"
    clock.now += 1.5  # the first conversions are a minute old now
    conversions.convert(catalog, [usd(10), usd(40)], "EUR")
    assert catalog.asked[3:] == [[(10, "EUR")]]


def test_a_failed_conversion_raises_and_is_not_kept():
    catalog = Catalog()
    conversions = exchange.Conversions(ManualClock(1000.0))
    catalog.failing = True
    with pytest.raises(ServiceUnavailable):
        conversions.convert(catalog, [usd(10)], "EUR")
    catalog.failing = False
    assert [m.units for m in conversions.convert(catalog, [usd(10)], "EUR")] == [5]
    assert len(catalog.asked) == 2


def test_past_the_bound_the_least_recently_used_go_first(monkeypatch):
    monkeypatch.setattr(exchange, "MAX_ENTRIES", 3)
    catalog = Catalog()
    conversions = exchange.Conversions(ManualClock(1000.0))
    conversions.convert(catalog, [usd(1), usd(2), usd(3)], "EUR")
    conversions.convert(catalog, [usd(4)], "EUR")  # over the bound: the oldest one goes
    conversions.convert(catalog, [usd(1), usd(4)], "EUR")
    assert catalog.asked[2:] == [[(1, "EUR")]]


def test_each_catalog_client_has_its_own():
    first, second = Catalog(), Catalog()
    exchange.converted(first, [usd(8)], "EUR")
    exchange.converted(first, [usd(8)], "EUR")
    exchange.converted(second, [usd(8)], "EUR")
    assert len(first.asked) == 1 and len(second.asked) == 1
