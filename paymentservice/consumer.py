"""The `checkout.events` consumer: an entrypoint like server.py, for messages. OrderPlaced
captures the order's payment; OrderCancelled voids or refunds it. Other event types are
acked unread by the runtime's Consumer. Each handler returns once its transaction (the
payment, its outgoing event and the processed-event record) is committed; raising
gets the message redelivered, except for an event that names no payment of its order:
no retry can help that one, so it goes to the dead-letter queue at once."""
from __future__ import annotations

import logging

from service_runtime import topology
from service_runtime.messaging import Consumer, Delivery, Subscription, Unprocessable
from shop.checkout.v1 import events_pb2 as checkout_events

from paymentservice.errors import PaymentNotFound
from paymentservice.processor import EventCause, Outcome, PaymentProcessor

log = logging.getLogger("paymentservice.consumer")

SUBSCRIPTION = Subscription("payment", topology.CHECKOUT_EVENTS)


def _cause(delivery: Delivery) -> EventCause:
    return EventCause(delivery.message_id, delivery.message_type, delivery.traceparent)


def _log(outcome: Outcome, payment, event, delivery: Delivery) -> None:
    log.info("%s: %s", delivery.message_type.rsplit(".", 1)[-1], outcome.value, extra={
        "event_id": delivery.message_id, "order_id": event.order_id,
        "payment_id": payment.id if payment else None,
        "payment_status": payment.status.name if payment else None,
    })


class CheckoutEventHandlers:
    def __init__(self, processor: PaymentProcessor):
        self._processor = processor

    async def order_placed(self, event: checkout_events.OrderPlaced, delivery: Delivery) -> None:
        try:
            outcome, payment = await self._processor.on_order_placed(
                _cause(delivery), event.order_id, event.order.payment_id)
        except PaymentNotFound as exc:
            raise Unprocessable(str(exc)) from exc
        _log(outcome, payment, event, delivery)

    async def order_cancelled(self, event: checkout_events.OrderCancelled, delivery: Delivery) -> None:
        try:
            outcome, payment = await self._processor.on_order_cancelled(
                _cause(delivery), event.order_id, event.payment_id or event.order.payment_id, event.reason)
        except PaymentNotFound as exc:
            raise Unprocessable(str(exc)) from exc
        _log(outcome, payment, event, delivery)


def checkout_events_consumer(amqp_url: str, processor: PaymentProcessor) -> Consumer:
    handlers = CheckoutEventHandlers(processor)
    return Consumer(amqp_url, SUBSCRIPTION, {
        checkout_events.OrderPlaced: handlers.order_placed,
        checkout_events.OrderCancelled: handlers.order_cancelled,
    })
