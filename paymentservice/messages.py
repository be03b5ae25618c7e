"""Payments and their events as protobuf messages (shop.payment.v1): for the servicer's
replies and for what goes to `payment.events`. None carries card data beyond the
brand and last four."""
from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from service_runtime import protomoney
from shop.payment.v1 import events_pb2, payment_pb2

from paymentservice import payments
from paymentservice.cards import CardBrand
from paymentservice.errors import DeclineReason
from paymentservice.payments import Payment, Transition


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def decline_reason_to_proto(reason: DeclineReason | None) -> int:
    if reason is None:
        return payment_pb2.DECLINE_REASON_UNSPECIFIED
    return payment_pb2.DeclineReason.Value(f"DECLINE_REASON_{reason.name}")


def brand_to_proto(brand: CardBrand) -> int:
    return payment_pb2.CardBrand.Value(f"CARD_BRAND_{brand.name}")


def payment_to_proto(payment: Payment) -> payment_pb2.Payment:
    code = payment.currency_code
    return payment_pb2.Payment(
        id=payment.id, order_id=payment.order_id,
        status=payment_pb2.PaymentStatus.Value(f"PAYMENT_STATUS_{payment.status.name}"),
        amount=protomoney.to_proto(payment.amount, code),
        captured_amount=protomoney.to_proto(payment.captured_amount, code),
        refunded_amount=protomoney.to_proto(payment.refunded_amount, code),
        card_brand=brand_to_proto(payment.card_brand), card_last4=payment.card_last4,
        decline_reason=decline_reason_to_proto(payment.decline_reason),
        create_time=timestamp(payment.create_time), update_time=timestamp(payment.update_time),
        capture_time=timestamp(payment.capture_time), void_time=timestamp(payment.void_time),
        refund_time=timestamp(payment.refund_time),
    )


def event_message(transition: Transition, event_id: str) -> Message:
    """The `payment.events` message announcing a transition's change."""
    payment, event = transition.payment, transition.event
    code = payment.currency_code
    common = dict(event_id=event_id, occur_time=timestamp(payment.update_time),
                  order_id=payment.order_id, payment_id=payment.id)
    match event:
        case payments.Captured(amount=amount):
            return events_pb2.PaymentCaptured(amount=protomoney.to_proto(amount, code), **common)
        case payments.CaptureFailed(reason=reason):
            return events_pb2.PaymentFailed(reason=decline_reason_to_proto(reason), message=reason.message, **common)
        case payments.Refunded():
            return events_pb2.PaymentRefunded(
                amount=protomoney.to_proto(event.amount, code),
                total_refunded=protomoney.to_proto(event.total_refunded, code),
                fully_refunded=event.fully_refunded, reason=event.reason, **common,
            )
        case payments.Voided():
            return events_pb2.PaymentVoided(**common)
    raise TypeError(f"no message for {event!r}")
