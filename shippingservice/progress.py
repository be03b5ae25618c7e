"""Where a parcel is: its status and tracking events, computed from when it shipped,
when it is due and what time it is now. Each milestone happens at its fraction of the
way from shipping to delivery, so a shorter day (SHIPPING_DAY_SECONDS) makes a parcel
travel faster. Pure."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from shippingservice.addresses import Address
from shippingservice.rates import ORIGIN_COUNTRY, ORIGIN_FACILITY


class ShipmentStatus(enum.Enum):
    SHIPPED = "shipped"
    IN_TRANSIT = "in transit"
    OUT_FOR_DELIVERY = "out for delivery"
    DELIVERED = "delivered"


@dataclass(frozen=True)
class Milestone:
    fraction: float
    status: ShipmentStatus
    description: str
    location: str


@dataclass(frozen=True)
class TrackingEvent:
    status: ShipmentStatus
    time: datetime
    location: str
    description: str


@dataclass(frozen=True)
class Progress:
    status: ShipmentStatus
    # Oldest first; the last one's status is `status`.
    events: tuple[TrackingEvent, ...]
    # Set once delivered.
    delivery_time: datetime | None


def milestones(carrier: str, destination: Address) -> tuple[Milestone, ...]:
    """A parcel's journey to destination, in order."""
    hub = f"{destination.city} hub"
    journey = [
        Milestone(0.0, ShipmentStatus.SHIPPED, f"Handed to {carrier}", ORIGIN_FACILITY),
        Milestone(0.1, ShipmentStatus.IN_TRANSIT, "Departed the origin facility", ORIGIN_FACILITY),
    ]
    if destination.country_code != ORIGIN_COUNTRY:
        journey.append(Milestone(0.45, ShipmentStatus.IN_TRANSIT, "Cleared customs",
                                 f"{destination.country_code} customs"))
    journey += [
        Milestone(0.7, ShipmentStatus.IN_TRANSIT, "Parcel sorted at the regional hub", hub),
        Milestone(0.9, ShipmentStatus.OUT_FOR_DELIVERY, "Out for delivery", destination.city),
        Milestone(1.0, ShipmentStatus.DELIVERED, "Delivered", destination.city),
    ]
    return tuple(journey)


def progress(journey: tuple[Milestone, ...], ship_time: datetime, due: datetime, now: datetime) -> Progress:
    """The milestones reached by `now`. The first (handed to the carrier) has always
    happened, even if this clock runs a little behind the one that recorded it."""
    span = due - ship_time
    events = tuple(
        TrackingEvent(m.status, ship_time + span * m.fraction, m.location, m.description)
        for index, m in enumerate(journey)
        if index == 0 or ship_time + span * m.fraction <= now
    )
    last = events[-1]
    delivered = last.status is ShipmentStatus.DELIVERED
    return Progress(status=last.status, events=events, delivery_time=last.time if delivered else None)
