"""The shipping rate table: destination zones, what shipping to each costs in USD (the
catalog's currency) and how long it takes. Pure data and one lookup; README.md states
the same rule in words, so change both together."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shippingservice.errors import InvalidArgument

RATE_CURRENCY = "USD"
# Every parcel leaves from here: the carrier that takes it issues its tracking id.
ORIGIN_COUNTRY = "US"
ORIGIN_FACILITY = "Columbus fulfilment centre"


@dataclass(frozen=True)
class Carrier:
    """A simulated carrier. service_letter is the first letter of its tracking ids (the
    S10 service indicator: C = parcel, E = express)."""

    name: str
    service_letter: str


@dataclass(frozen=True)
class Zone:
    name: str
    label: str
    countries: frozenset[str]
    base_rate: Decimal
    per_item: Decimal
    # Items beyond this many are not charged the per-item amount.
    max_charged_items: int
    # Orders worth at least this ship free; None: the zone has no free shipping.
    free_shipping_over: Decimal | None
    min_delivery_days: int
    max_delivery_days: int
    carrier: Carrier


EU_AND_EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"  # EU
    " IS LI NO".split()  # the rest of the EEA
)

ZONES: tuple[Zone, ...] = (
    Zone(
        name="domestic", label="Domestic", countries=frozenset({"US"}),
        base_rate=Decimal("4.99"), per_item=Decimal("0.99"), max_charged_items=10,
        free_shipping_over=Decimal("50.00"), min_delivery_days=2, max_delivery_days=5,
        carrier=Carrier("Bluebird Parcel", "C"),
    ),
    Zone(
        name="north-america", label="North America", countries=frozenset({"CA", "MX"}),
        base_rate=Decimal("9.99"), per_item=Decimal("1.49"), max_charged_items=10,
        free_shipping_over=Decimal("100.00"), min_delivery_days=4, max_delivery_days=8,
        carrier=Carrier("Northstar Express", "E"),
    ),
    Zone(
        name="europe", label="Europe", countries=EU_AND_EEA | {"GB", "CH"},
        base_rate=Decimal("14.99"), per_item=Decimal("1.99"), max_charged_items=10,
        free_shipping_over=Decimal("150.00"), min_delivery_days=5, max_delivery_days=10,
        carrier=Carrier("Atlantic Parcel Post", "C"),
    ),
    Zone(
        name="world", label="World", countries=frozenset("AU BR IL IN JP KR NZ SG ZA".split()),
        base_rate=Decimal("24.99"), per_item=Decimal("2.99"), max_charged_items=10,
        free_shipping_over=None, min_delivery_days=7, max_delivery_days=21,
        carrier=Carrier("Globetrot Air Parcel", "E"),
    ),
)

# Where the shop ships from: the shippingSlowdown fault flag slows every other zone's quotes.
HOME_ZONE = ZONES[0].name

_ZONE_BY_COUNTRY = {country: zone for zone in ZONES for country in zone.countries}


def supported_countries() -> list[str]:
    return sorted(_ZONE_BY_COUNTRY)


def zone_for(country_code: str) -> Zone:
    """The zone a destination country is in; InvalidArgument if the shop does not ship there."""
    zone = _ZONE_BY_COUNTRY.get(country_code)
    if zone is None:
        raise InvalidArgument(f"address.country_code: we do not ship to {country_code}")
    return zone
