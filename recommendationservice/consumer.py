"""recommendation's event entrypoint (its own queue on checkout.events): a SHIPPED order is
counted as a sale; a placed order notes what its shopper just bought. Every other event
and status is acked and ignored. Each effect is recorded with its event, so a redelivery
does nothing."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from service_runtime import messaging, topology
from shop.checkout.v1 import checkout_pb2, events_pb2

from recommendationservice.errors import InvalidEvent
from recommendationservice.metrics import LEARNT
from recommendationservice.purchases import purchase_of, sale_of
from recommendationservice.recommender import Recommender

log = logging.getLogger("recommendationservice.consumer")

SUBSCRIPTION = messaging.Subscription("recommendation", topology.CHECKOUT_EVENTS)


def _lines(order: checkout_pb2.Order) -> list[tuple[str, int]]:
    return [(line.product_id, line.quantity) for line in order.lines]


def _placed_at(event) -> datetime:
    """When the order was placed: its create_time, or the event's time for an order that
    lacks one."""
    for stamp in (event.order.create_time, event.occur_time):
        if stamp.seconds or stamp.nanos:
            return stamp.ToDatetime(tzinfo=timezone.utc)
    raise InvalidEvent(f"order {event.order_id} has no time")


def _outcome(counted: bool) -> str:
    return "recorded" if counted else "duplicate"


class OrderEvents:
    def __init__(self, recommender: Recommender):
        self._recommender = recommender

    async def placed(self, event: events_pb2.OrderPlaced, delivery: messaging.Delivery) -> None:
        try:
            purchase = purchase_of(event.order_id, event.order.user_id, _placed_at(event), _lines(event.order))
        except InvalidEvent as exc:
            raise messaging.Unprocessable(str(exc)) from None
        if purchase is not None:
            noted = await self._recommender.note_purchase(purchase, (delivery.message_id, delivery.message_type))
            LEARNT.labels("purchase", _outcome(noted)).inc()
            # Never the shopper's id: a guest's is their session cookie.
            log.info("purchase noted" if noted else "purchase already noted: nothing changed",
                     extra={"order_id": event.order_id, "products": len(purchase.product_ids)})

    async def status_changed(self, event: events_pb2.OrderStatusChanged, delivery: messaging.Delivery) -> None:
        # Only a shipped order is a sale: a PLACED or PAID one may still fail or be
        # cancelled, and SHIPPED is final (docs/decisions/0015-recommendations.md).
        if event.status != checkout_pb2.ORDER_STATUS_SHIPPED:
            return
        try:
            sale = sale_of(event.order_id, _placed_at(event), _lines(event.order))
        except InvalidEvent as exc:
            raise messaging.Unprocessable(str(exc)) from None
        counted = await self._recommender.learn_sale(sale, (delivery.message_id, delivery.message_type))
        LEARNT.labels("sale", _outcome(counted)).inc()
        log.info("sale counted" if counted else "sale already counted: nothing changed",
                 extra={"order_id": sale.order_id, "products": len(sale.units), "day": sale.day.isoformat()})

    def consumer(self, amqp_url: str) -> messaging.Consumer:
        return messaging.Consumer(amqp_url, SUBSCRIPTION, {
            events_pb2.OrderPlaced: self.placed,
            events_pb2.OrderStatusChanged: self.status_changed,
        })
