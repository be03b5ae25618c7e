"""catalog's event entrypoint: an order whose payment failed, or that was cancelled,
gives its reserved stock back; one that shipped has its reservation fulfilled (sold, no
longer held). Once each, whatever the redeliveries."""
from __future__ import annotations

from service_runtime import messaging, topology
from shop.checkout.v1 import checkout_pb2, events_pb2

from catalogservice.repository import CatalogRepository


class OrderEvents:
    def __init__(self, repository: CatalogRepository):
        self._repo = repository

    async def status_changed(self, event: events_pb2.OrderStatusChanged, delivery: messaging.Delivery) -> None:
        if event.status == checkout_pb2.ORDER_STATUS_PAYMENT_FAILED:
            await self._repo.release(event.order_id, (delivery.message_id, delivery.message_type))
        elif event.status == checkout_pb2.ORDER_STATUS_SHIPPED:
            await self._repo.fulfil(event.order_id, (delivery.message_id, delivery.message_type))

    async def cancelled(self, event: events_pb2.OrderCancelled, delivery: messaging.Delivery) -> None:
        await self._repo.release(event.order_id, (delivery.message_id, delivery.message_type))

    def consumer(self, amqp_url: str) -> messaging.Consumer:
        return messaging.Consumer(amqp_url, messaging.Subscription("catalog", topology.CHECKOUT_EVENTS), {
            events_pb2.OrderStatusChanged: self.status_changed,
            events_pb2.OrderCancelled: self.cancelled,
        })
