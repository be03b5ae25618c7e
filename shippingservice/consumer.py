"""shipping's event entrypoint: an order that is PAID ships; a cancelled order must not.
Each effect is recorded with the event that caused it, so a redelivery does nothing."""
from __future__ import annotations

import logging

from service_runtime import messaging, topology
from shop.checkout.v1 import checkout_pb2, events_pb2

from shippingservice.errors import AlreadyShipped, InvalidArgument, OrderCancelled
from shippingservice.server import address_from_proto
from shippingservice.shipments import Shipper
from shippingservice.items import ShipmentItem

log = logging.getLogger("shippingservice.consumer")


class OrderEvents:
    def __init__(self, shipper: Shipper):
        self._shipper = shipper

    async def status_changed(self, event: events_pb2.OrderStatusChanged, delivery: messaging.Delivery) -> None:
        if event.status != checkout_pb2.ORDER_STATUS_PAID:
            return
        items = tuple(ShipmentItem(line.product_id, line.quantity) for line in event.order.lines)
        try:
            await self._shipper.ship_order(event.order_id, address_from_proto(event.order.shipping_address), items,
                                           handled_event=(delivery.message_id, delivery.message_type))
        except OrderCancelled:
            log.info("not shipping a cancelled order", extra={"order_id": event.order_id})
        except InvalidArgument as exc:  # the order cannot ship as it is: retrying cannot help
            raise messaging.Unprocessable(f"order {event.order_id} cannot ship: {exc}") from None

    async def cancelled(self, event: events_pb2.OrderCancelled, delivery: messaging.Delivery) -> None:
        try:
            await self._shipper.cancel(event.order_id, event.reason,
                                       handled_event=(delivery.message_id, delivery.message_type))
        except InvalidArgument as exc:
            raise messaging.Unprocessable(f"cannot cancel the shipment of {event.order_id}: {exc}") from None
        except AlreadyShipped:
            log.warning("a cancelled order had already shipped", extra={"order_id": event.order_id})

    def consumer(self, amqp_url: str) -> messaging.Consumer:
        return messaging.Consumer(amqp_url, messaging.Subscription("shipping", topology.CHECKOUT_EVENTS), {
            events_pb2.OrderStatusChanged: self.status_changed,
            events_pb2.OrderCancelled: self.cancelled,
        })
