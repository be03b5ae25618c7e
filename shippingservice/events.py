"""The events shippingservice announces to `shipping.events`, built from the domain."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from service_runtime import topology
from shop.shipping.v1 import events_pb2

from shippingservice.shipments import Shipment


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def shipped(shipment: Shipment):
    yield topology.SHIPPING_EVENTS, events_pb2.OrderShipped(
        event_id=str(uuid.uuid4()), occur_time=_stamp(datetime.now(timezone.utc)), order_id=shipment.order_id,
        tracking_id=shipment.tracking_id, carrier=shipment.carrier, ship_time=_stamp(shipment.ship_time),
        estimated_delivery_time=_stamp(shipment.estimated_delivery_time),
    )


def cancelled(order_id: str, reason: str):
    yield topology.SHIPPING_EVENTS, events_pb2.ShipmentCancelled(
        event_id=str(uuid.uuid4()), occur_time=_stamp(datetime.now(timezone.utc)), order_id=order_id, reason=reason,
    )
