"""Shipments: handing an order to its zone's carrier (once per order), cancelling an
order before it ships, and tracking a parcel. The rules live here; storage is the
ShipmentStore handed in (repository.py), the clock and randomness too."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

from shippingservice import tracking_ids
from shippingservice.addresses import Address, validate_address
from shippingservice.errors import InvalidArgument, TrackingIdTaken
from shippingservice.items import ShipmentItem, check_items
from shippingservice.progress import Progress, milestones, progress
from shippingservice.rates import ORIGIN_COUNTRY, zone_for

MAX_ORDER_ID = 100
MAX_REASON = 500
# New tracking ids tried before giving up; with 2.6 billion ids per carrier a second
# attempt is already rare.
TRACKING_ID_ATTEMPTS = 5


@dataclass(frozen=True)
class Shipment:
    tracking_id: str
    order_id: str
    carrier: str
    zone: str
    address: Address
    items: tuple[ShipmentItem, ...]
    ship_time: datetime
    estimated_delivery_time: datetime


class ShipmentStore(Protocol):
    async def ship(self, shipment: Shipment, handled_event: tuple[str, str] | None = None) -> tuple[Shipment, bool]:
        """Record the shipment unless the order already has one (return that, False).
        OrderCancelled if the order was cancelled; TrackingIdTaken if the id is in use.
        handled_event: the (event id, type) that caused it, recorded in the same step."""

    async def cancel(self, order_id: str, reason: str, handled_event: tuple[str, str] | None = None) -> bool:
        """Record that the order must not ship; False if it already was.
        AlreadyShipped if it has a shipment."""

    async def find(self, tracking_id: str) -> Shipment:
        """The shipment with this tracking id, or ShipmentNotFound."""


def check_order_id(order_id: str) -> str:
    if not order_id.strip():
        raise InvalidArgument("order_id is required")
    if len(order_id) > MAX_ORDER_ID:
        raise InvalidArgument(f"order_id must be at most {MAX_ORDER_ID} characters")
    return order_id


def check_reason(reason: str) -> str:
    if len(reason) > MAX_REASON:
        raise InvalidArgument(f"reason must be at most {MAX_REASON} characters")
    return reason.strip()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Shipper:
    """Ships, cancels and tracks orders. day_seconds is how long a delivery day lasts:
    86400 for real days, a few seconds to watch a parcel travel in a demo."""

    def __init__(self, store: ShipmentStore, *, day_seconds: float, rng: random.Random,
                 clock: Callable[[], datetime] = utc_now):
        self._store = store
        self._day = timedelta(seconds=day_seconds)
        self._rng = rng
        self._clock = clock

    def plan(self, order_id: str, address: Address, items: tuple[ShipmentItem, ...]) -> Shipment:
        """A new shipment: the zone's carrier, a fresh tracking id, and a delivery due
        after a number of days drawn from the zone's range."""
        zone = zone_for(address.country_code)
        transit_days = self._rng.randint(zone.min_delivery_days, zone.max_delivery_days)
        now = self._clock()
        return Shipment(
            tracking_id=tracking_ids.new_tracking_id(zone.carrier.service_letter, ORIGIN_COUNTRY, self._rng),
            order_id=order_id, carrier=zone.carrier.name, zone=zone.name, address=address, items=items,
            ship_time=now, estimated_delivery_time=now + self._day * transit_days,
        )

    async def ship_order(self, order_id: str, address: Address | None, items: tuple[ShipmentItem, ...],
                         handled_event: tuple[str, str] | None = None) -> tuple[Shipment, bool]:
        """The order's shipment and whether this call created it. Idempotent per order id:
        a retry gets the first shipment, whatever address and items it carries."""
        order_id = check_order_id(order_id)
        address = validate_address(address)
        items = check_items(items)
        for _ in range(TRACKING_ID_ATTEMPTS - 1):
            try:
                return await self._store.ship(self.plan(order_id, address, items), handled_event)
            except TrackingIdTaken:
                continue
        return await self._store.ship(self.plan(order_id, address, items), handled_event)

    async def cancel(self, order_id: str, reason: str, handled_event: tuple[str, str] | None = None) -> bool:
        return await self._store.cancel(check_order_id(order_id), check_reason(reason), handled_event)

    async def track(self, tracking_id: str) -> tuple[Shipment, Progress]:
        shipment = await self._store.find(tracking_ids.check_tracking_id(tracking_id))
        return shipment, self.progress_of(shipment)

    def progress_of(self, shipment: Shipment) -> Progress:
        return progress(
            milestones(shipment.carrier, shipment.address),
            shipment.ship_time, shipment.estimated_delivery_time, self._clock(),
        )
