import asyncio
import random
from datetime import datetime, timedelta, timezone

import pytest

from shippingservice.addresses import Address
from shippingservice.errors import InvalidArgument, TrackingIdTaken
from shippingservice.items import ShipmentItem
from shippingservice.progress import ShipmentStatus
from shippingservice.shipments import TRACKING_ID_ATTEMPTS, Shipper, check_order_id, check_reason
from shippingservice.tracking_ids import is_valid_tracking_id

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DE = Address("Erika Mustermann", ("Heidestraße 17",), "Köln", "", "51147", "DE")
US = Address("Ada Lovelace", ("1 Market St",), "San Francisco", "CA", "94105", "US")
ITEMS = (ShipmentItem("mug", 2),)


class InMemoryStore:
    """Stores shipments in a dict; refuses a tracking id already in use, as the
    database's unique constraint does. `taken` pre-loads ids that are in use."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self.by_order = {}
        self.refused = 0

    async def ship(self, shipment, handled_event=None):
        if shipment.order_id in self.by_order:
            return self.by_order[shipment.order_id], False
        if shipment.tracking_id in self.taken:
            self.refused += 1
            raise TrackingIdTaken(shipment.tracking_id)
        self.taken.add(shipment.tracking_id)
        self.by_order[shipment.order_id] = shipment
        return shipment, True


def shipper(store=None, seed=1, day_seconds=86400.0, now=NOW):
    return Shipper(store or InMemoryStore(), day_seconds=day_seconds, rng=random.Random(seed), clock=lambda: now)


def test_a_plan_uses_the_zones_carrier_and_delivery_range():
    for address, carrier, letter, low, high in [(US, "Bluebird Parcel", "C", 2, 5), (DE, "Atlantic Parcel Post", "C", 5, 10)]:
        for seed in range(30):
            plan = shipper(seed=seed).plan("o-1", address, ITEMS)
            assert plan.carrier == carrier and plan.tracking_id.startswith(letter) and plan.tracking_id.endswith("US")
            assert is_valid_tracking_id(plan.tracking_id)
            assert plan.ship_time == NOW
            assert timedelta(days=low) <= plan.estimated_delivery_time - NOW <= timedelta(days=high)


def test_the_day_length_scales_the_delivery_time():
    plan = shipper(day_seconds=2.0).plan("o-1", US, ITEMS)
    assert timedelta(seconds=4) <= plan.estimated_delivery_time - NOW <= timedelta(seconds=10)


def test_a_taken_tracking_id_is_retried_with_a_new_one():
    first_id = shipper(seed=5).plan("o-1", DE, ITEMS).tracking_id
    store = InMemoryStore(taken={first_id})
    shipment, newly = asyncio.run(shipper(store, seed=5).ship_order("o-1", DE, ITEMS))
    assert newly and store.refused == 1 and shipment.tracking_id != first_id


def test_it_gives_up_after_a_bounded_number_of_attempts():
    class AlwaysTaken(InMemoryStore):
        async def ship(self, shipment, handled_event=None):
            self.refused += 1
            raise TrackingIdTaken(shipment.tracking_id)

    store = AlwaysTaken()
    with pytest.raises(TrackingIdTaken):
        asyncio.run(shipper(store).ship_order("o-1", DE, ITEMS))
    assert store.refused == TRACKING_ID_ATTEMPTS


def test_ship_order_checks_its_input_before_storing():
    store = InMemoryStore()
    for order_id, address, items, message in [
        ("", DE, ITEMS, "order_id is required"),
        ("x" * 101, DE, ITEMS, "order_id must be at most 100"),
        ("o-1", None, ITEMS, "address is required"),
        ("o-1", Address("", ("a",), "b", "", "12345", "DE"), ITEMS, "address.name"),
        ("o-1", DE, (), "items must have at least one line"),
    ]:
        with pytest.raises(InvalidArgument, match=message):
            asyncio.run(shipper(store).ship_order(order_id, address, items))
    assert store.by_order == {}


def test_a_new_shipment_has_just_been_handed_over():
    s = shipper()
    shipment, _ = asyncio.run(s.ship_order("o-1", DE, ITEMS))
    progress = s.progress_of(shipment)
    assert progress.status is ShipmentStatus.SHIPPED and len(progress.events) == 1


def test_order_ids_and_reasons_are_bounded():
    assert check_order_id("order-1") == "order-1"
    with pytest.raises(InvalidArgument, match="order_id is required"):
        check_order_id("   ")
    assert check_reason("  customer asked ") == "customer asked"
    with pytest.raises(InvalidArgument, match="reason must be at most 500"):
        check_reason("r" * 501)
