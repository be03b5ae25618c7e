"""Orders between the domain and protobuf, and the events that announce them."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from service_runtime import protomoney, topology
from service_runtime.prototime import to_timestamp
from shop.checkout.v1 import checkout_pb2, events_pb2
from shop.shipping.v1 import shipping_pb2

from checkoutservice.orders import Address, Order, Status

STATUS_TO_PROTO = {status: checkout_pb2.OrderStatus.Value(f"ORDER_STATUS_{status.value}") for status in Status}
STATUS_FROM_PROTO = {value: status for status, value in STATUS_TO_PROTO.items()}


def address_from_proto(message: shipping_pb2.Address) -> Address:
    return Address(message.name, tuple(message.address_lines), message.city, message.region, message.postal_code,
                   message.country_code)


def order_to_proto(order: Order) -> checkout_pb2.Order:
    money = lambda amount: protomoney.to_proto(amount, order.currency)  # noqa: E731
    a = order.address
    return checkout_pb2.Order(
        id=order.id, user_id=order.user_id, email=order.email, status=STATUS_TO_PROTO[order.status],
        status_reason=order.status_reason,
        lines=[checkout_pb2.OrderLine(product_id=l.product_id, name=l.name, quantity=l.quantity,
                                      unit_price=money(l.unit_price), line_total=money(l.total)) for l in order.lines],
        shipping_address=shipping_pb2.Address(name=a.name, address_lines=a.address_lines, city=a.city, region=a.region,
                                              postal_code=a.postal_code, country_code=a.country_code),
        currency_code=order.currency, subtotal=money(order.subtotal), shipping_cost=money(order.shipping_cost),
        total=money(order.total), payment_id=order.payment_id, tracking_id=order.tracking_id,
        discounts=[checkout_pb2.DiscountLine(code=d.code, description=d.description, amount=money(d.amount))
                   for d in order.discounts],
        discount_total=money(order.discount_total),
        create_time=to_timestamp(order.created_at), update_time=to_timestamp(order.updated_at),
        paid_time=to_timestamp(order.times.get("paid_at")), ship_time=to_timestamp(order.times.get("shipped_at")),
        cancel_time=to_timestamp(order.times.get("cancelled_at")), refund_time=to_timestamp(order.times.get("refunded_at")),
    )


def _envelope(order_id: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "occur_time": to_timestamp(datetime.now(timezone.utc)), "order_id": order_id}


def placed_events(order: Order):
    yield topology.CHECKOUT_EVENTS, events_pb2.OrderPlaced(**_envelope(order.id), order=order_to_proto(order))


def status_events(before: Order, after: Order):
    if after.status == Status.CANCELLED:
        yield topology.CHECKOUT_EVENTS, events_pb2.OrderCancelled(
            **_envelope(after.id), payment_id=after.payment_id, payment_captured=before.status == Status.PAID,
            reason=after.status_reason, order=order_to_proto(after))
    else:
        yield topology.CHECKOUT_EVENTS, events_pb2.OrderStatusChanged(
            **_envelope(after.id), previous_status=STATUS_TO_PROTO[before.status],
            status=STATUS_TO_PROTO[after.status], order=order_to_proto(after))


def cancelled_events(by_admin: bool):
    def events(before: Order, after: Order):
        for exchange, event in status_events(before, after):
            event.cancelled_by_admin = by_admin
            yield exchange, event
    return events
