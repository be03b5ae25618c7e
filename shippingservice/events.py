"""The events shippingservice announces to `shipping.events`, built from the domain."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from service_runtime import topology
from service_runtime.prototime import to_timestamp
from shop.shipping.v1 import events_pb2

from shippingservice.shipments import Shipment


def shipped(shipment: Shipment):
    yield topology.SHIPPING_EVENTS, events_pb2.OrderShipped(
        event_id=str(uuid.uuid4()), occur_time=to_timestamp(datetime.now(timezone.utc)), order_id=shipment.order_id,
        tracking_id=shipment.tracking_id, carrier=shipment.carrier, ship_time=to_timestamp(shipment.ship_time),
        estimated_delivery_time=to_timestamp(shipment.estimated_delivery_time),
    )


def cancelled(order_id: str, reason: str):
    yield topology.SHIPPING_EVENTS, events_pb2.ShipmentCancelled(
        event_id=str(uuid.uuid4()), occur_time=to_timestamp(datetime.now(timezone.utc)), order_id=order_id, reason=reason,
    )
