"""checkout's event entrypoint: payment and shipping events move orders along their
lifecycle. Each event changes its order at most once (the handled-event record is
written in the same transaction), and an illegal move is refused and logged.

ShipmentCancelled cancels the order if it is not cancelled yet: an order whose shipment
was stopped will never ship, so it must not stay PAID. Normally the cancel that stopped
it (cancelling.py) has already cancelled the order and this changes nothing; it acts when
that cancel failed after stopping the shipment (see cancelling.py), finishing it as the
shop's cancellation, with the reason the stop was given."""
from __future__ import annotations

import logging

from service_runtime import messaging, topology
from shop.payment.v1 import events_pb2 as payment_events
from shop.shipping.v1 import events_pb2 as shipping_events

from checkoutservice import convert, orders
from checkoutservice.errors import OrderNotFound
from checkoutservice.repository import OrderRepository

log = logging.getLogger("checkoutservice.consumer")


class OrderEvents:
    def __init__(self, repository: OrderRepository):
        self._repo = repository

    async def _move(self, event, delivery: messaging.Delivery, to: orders.Status, **details) -> None:
        try:
            await self._repo.change(
                event.order_id,
                lambda order, now: orders.moved(order, to, now, **details),
                convert.status_events,
                handled_event=(delivery.message_id, delivery.message_type),
            )
        except OrderNotFound:
            # Payment and shipping events follow OrderPlaced, which follows the order's
            # commit: an order checkout never had will not appear later. Retrying would
            # only hold up the queue.
            raise messaging.Unprocessable(f"no order {event.order_id!r} here") from None

    async def payment_captured(self, event: payment_events.PaymentCaptured, delivery) -> None:
        await self._move(event, delivery, orders.Status.PAID)

    async def payment_failed(self, event: payment_events.PaymentFailed, delivery) -> None:
        await self._move(event, delivery, orders.Status.PAYMENT_FAILED, reason=event.message)

    async def payment_refunded(self, event: payment_events.PaymentRefunded, delivery) -> None:
        if event.fully_refunded:
            await self._move(event, delivery, orders.Status.REFUNDED)

    async def order_shipped(self, event: shipping_events.OrderShipped, delivery) -> None:
        await self._move(event, delivery, orders.Status.SHIPPED, tracking_id=event.tracking_id)

    async def shipment_cancelled(self, event: shipping_events.ShipmentCancelled, delivery) -> None:
        try:
            await self._repo.change(event.order_id, lambda order, now: orders.cancellation(order, now, event.reason),
                                    convert.cancelled_events(by_admin=True),
                                    handled_event=(delivery.message_id, delivery.message_type))
        except OrderNotFound:  # CancelShipment called for an order id checkout never stored
            log.info("a shipment was cancelled for no order here", extra={"order_id": event.order_id})

    def consumers(self, amqp_url: str) -> list[messaging.Consumer]:
        return [
            messaging.Consumer(amqp_url, messaging.Subscription("checkout", topology.PAYMENT_EVENTS), {
                payment_events.PaymentCaptured: self.payment_captured,
                payment_events.PaymentFailed: self.payment_failed,
                payment_events.PaymentRefunded: self.payment_refunded,
            }),
            messaging.Consumer(amqp_url, messaging.Subscription("checkout", topology.SHIPPING_EVENTS), {
                shipping_events.OrderShipped: self.order_shipped,
                shipping_events.ShipmentCancelled: self.shipment_cancelled,
            }),
        ]
