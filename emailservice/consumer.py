"""The checkout-events entrypoint: an order event in, the email it calls for out.
OrderPlaced -> order received; OrderStatusChanged to PAID, PAYMENT_FAILED, SHIPPED or
REFUNDED -> payment confirmed, payment failed, shipped, refunded; OrderCancelled ->
cancelled. Any other status is acked with no email; the runtime acks other types."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timezone

from google.protobuf.message import Message

from service_runtime import money, protomoney, topology
from service_runtime.messaging import Consumer, Delivery, Subscription, Unprocessable
from shop.checkout.v1 import checkout_pb2, events_pb2

from emailservice.errors import InvalidEvent
from emailservice.mailer import Mailer
from emailservice.metrics import EMAILS
from emailservice.notices import EmailKind, Notice, kind_for_status_change
from emailservice.orders import Address, Discount, Order, OrderLine

log = logging.getLogger("emailservice.consumer")

SUBSCRIPTION = Subscription("email", topology.CHECKOUT_EVENTS)


def _amount(message, field: str, currency: str):
    if not message.HasField(field):
        raise InvalidEvent(f"the order has no {field}")
    try:
        amount, code = protomoney.from_proto(getattr(message, field))
    except money.InvalidMoney as exc:
        raise InvalidEvent(f"{field}: {exc}") from None
    if code != currency:
        raise InvalidEvent(f"{field} is in {code}, the order in {currency}")
    return amount


def order_from_proto(message: checkout_pb2.Order) -> Order:
    currency = message.currency_code
    address = message.shipping_address if message.HasField("shipping_address") else None
    return Order(
        id=message.id, email=message.email, currency=currency,
        lines=tuple(
            OrderLine(product_id=line.product_id, name=line.name, quantity=line.quantity,
                      unit_price=_amount(line, "unit_price", currency), line_total=_amount(line, "line_total", currency))
            for line in message.lines
        ),
        subtotal=_amount(message, "subtotal", currency),
        shipping_cost=_amount(message, "shipping_cost", currency),
        total=_amount(message, "total", currency),
        address=Address(
            name=address.name, lines=tuple(address.address_lines), city=address.city, region=address.region,
            postal_code=address.postal_code, country_code=address.country_code,
        ) if address is not None else None,
        status_reason=message.status_reason, tracking_id=message.tracking_id,
        placed_at=message.create_time.ToDatetime(tzinfo=timezone.utc) if message.HasField("create_time") else None,
        discounts=tuple(Discount(f"{d.code}: {d.description}", _amount(d, "amount", currency))
                        for d in message.discounts),
    )


def notice_for(event: Message) -> Notice | None:
    """The email an event calls for, or None."""
    event_type = event.DESCRIPTOR.full_name
    if not event.HasField("order"):
        raise InvalidEvent(f"{event_type} {event.event_id} carries no order")
    if isinstance(event, events_pb2.OrderPlaced):
        return Notice(EmailKind.ORDER_RECEIVED, event.event_id, event_type, order_from_proto(event.order))
    if isinstance(event, events_pb2.OrderStatusChanged):
        known = event.status in checkout_pb2.OrderStatus.values()
        status = checkout_pb2.OrderStatus.Name(event.status) if known else str(event.status)
        kind = kind_for_status_change(status.removeprefix("ORDER_STATUS_"))
        if kind is None:
            return None
        return Notice(kind, event.event_id, event_type, order_from_proto(event.order))
    if isinstance(event, events_pb2.OrderCancelled):
        order = order_from_proto(event.order)
        if event.reason:
            order = replace(order, status_reason=event.reason)
        return Notice(EmailKind.CANCELLED, event.event_id, event_type, order,
                      payment_captured=event.payment_captured, cancelled_by_admin=event.cancelled_by_admin)
    raise TypeError(f"no email rule for {event_type}")


class EmailConsumer:
    """Hands each order event's notice to the mailer; what the mailer records is
    committed before the runtime acks the message."""

    def __init__(self, mailer: Mailer):
        self._mailer = mailer

    async def handle(self, event: Message, delivery: Delivery) -> None:
        try:
            notice = notice_for(event)
        except InvalidEvent as exc:  # retrying cannot help: straight to the dead-letter queue
            raise Unprocessable(str(exc)) from None
        if notice is None:
            log.info("no email for this event", extra={"event_id": delivery.message_id, "type": delivery.message_type})
            EMAILS.labels("no_email").inc()
            return
        outcome = await self._mailer.send(notice)
        EMAILS.labels(outcome.value).inc()

    def consumer(self, amqp_url: str) -> Consumer:
        return Consumer(amqp_url, SUBSCRIPTION, {
            events_pb2.OrderPlaced: self.handle,
            events_pb2.OrderStatusChanged: self.handle,
            events_pb2.OrderCancelled: self.handle,
        })
