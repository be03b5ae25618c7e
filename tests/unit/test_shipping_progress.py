from datetime import datetime, timedelta, timezone

import pytest

from shippingservice.addresses import Address
from shippingservice.progress import ShipmentStatus, milestones, progress

S = ShipmentStatus
SHIPPED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DUE = SHIPPED_AT + timedelta(days=10)
BERLIN = Address("Erika Mustermann", ("Unter den Linden 1",), "Berlin", "", "10117", "DE")
BOSTON = Address("Ada Lovelace", ("1 Main St",), "Boston", "MA", "02110", "US")
JOURNEY = milestones("Atlantic Parcel Post", BERLIN)


def at(days: float):
    return progress(JOURNEY, SHIPPED_AT, DUE, SHIPPED_AT + timedelta(days=days))


@pytest.mark.parametrize(
    "days, status, statuses",
    [
        (-1, S.SHIPPED, [S.SHIPPED]),  # a clock slightly behind still shows the hand-over
        (0, S.SHIPPED, [S.SHIPPED]),
        (0.99, S.SHIPPED, [S.SHIPPED]),
        (1, S.IN_TRANSIT, [S.SHIPPED, S.IN_TRANSIT]),
        (4.5, S.IN_TRANSIT, [S.SHIPPED, S.IN_TRANSIT, S.IN_TRANSIT]),
        (7, S.IN_TRANSIT, [S.SHIPPED, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT]),
        (9, S.OUT_FOR_DELIVERY, [S.SHIPPED, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT, S.OUT_FOR_DELIVERY]),
        (9.99, S.OUT_FOR_DELIVERY, [S.SHIPPED, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT, S.OUT_FOR_DELIVERY]),
        (10, S.DELIVERED, [S.SHIPPED, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]),
        (400, S.DELIVERED, [S.SHIPPED, S.IN_TRANSIT, S.IN_TRANSIT, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]),
    ],
)
def test_status_and_events_at_several_instants(days, status, statuses):
    now = at(days)
    assert now.status is status and now.events[-1].status is status
    assert [e.status for e in now.events] == statuses


def test_events_happen_at_their_fraction_of_the_way_oldest_first():
    events = at(30).events
    assert [e.time - SHIPPED_AT for e in events] == [
        timedelta(days=d) for d in (0, 1, 4.5, 7, 9, 10)
    ]
    assert [(e.description, e.location) for e in events] == [
        ("Handed to Atlantic Parcel Post", "Columbus fulfilment centre"),
        ("Departed the origin facility", "Columbus fulfilment centre"),
        ("Cleared customs", "DE customs"),
        ("Parcel sorted at the regional hub", "Berlin hub"),
        ("Out for delivery", "Berlin"),
        ("Delivered", "Berlin"),
    ]


def test_the_delivery_time_is_set_only_once_delivered():
    assert at(9.99).delivery_time is None
    assert at(10).delivery_time == at(11).delivery_time == DUE


def test_a_domestic_parcel_clears_no_customs():
    descriptions = [m.description for m in milestones("Bluebird Parcel", BOSTON)]
    assert "Cleared customs" not in descriptions and len(descriptions) == 5


def test_a_short_day_makes_the_same_journey_in_seconds():
    due = SHIPPED_AT + timedelta(seconds=5)
    halfway = progress(JOURNEY, SHIPPED_AT, due, SHIPPED_AT + timedelta(seconds=2.5))
    assert halfway.status is S.IN_TRANSIT and len(halfway.events) == 3
    assert progress(JOURNEY, SHIPPED_AT, due, due).status is S.DELIVERED
