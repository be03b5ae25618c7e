from decimal import Decimal

import pytest

from shippingservice.errors import InvalidArgument
from shippingservice.rates import EU_AND_EEA, RATE_CURRENCY, ZONES, supported_countries, zone_for


@pytest.mark.parametrize(
    "country, zone",
    [("US", "domestic"), ("CA", "north-america"), ("MX", "north-america"), ("DE", "europe"),
     ("GB", "europe"), ("CH", "europe"), ("NO", "europe"), ("IS", "europe"), ("JP", "world"), ("AU", "world")],
)
def test_each_country_is_in_its_zone(country, zone):
    assert zone_for(country).name == zone


@pytest.mark.parametrize("country", ["RU", "XX", "us"])
def test_a_country_outside_every_zone_is_refused_by_name(country):
    with pytest.raises(InvalidArgument, match=f"address.country_code: we do not ship to {country}$"):
        zone_for(country)


def test_the_eu_and_eea_are_all_in_europe():
    assert len(EU_AND_EEA) == 27 + 3
    assert all(zone_for(code).name == "europe" for code in EU_AND_EEA)


def test_no_country_is_in_two_zones():
    listed = [country for zone in ZONES for country in zone.countries]
    assert len(listed) == len(set(listed)) == len(supported_countries())


def test_rates_are_whole_cents_in_usd_and_delivery_ranges_make_sense():
    assert RATE_CURRENCY == "USD"
    for zone in ZONES:
        for amount in (zone.base_rate, zone.per_item, zone.free_shipping_over):
            assert amount is None or amount == amount.quantize(Decimal("0.01"))
        assert 1 <= zone.min_delivery_days <= zone.max_delivery_days
        assert zone.max_charged_items >= 1 and zone.carrier.name


def test_the_world_zone_has_no_free_shipping_and_the_others_do():
    assert {z.name: z.free_shipping_over is not None for z in ZONES} == {
        "domestic": True, "north-america": True, "europe": True, "world": False,
    }
