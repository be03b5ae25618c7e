"""Payments and their events as protobuf, and errors as statuses with the details the
contract promises."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import grpc
import pytest
from google.protobuf import text_format
from google.rpc import error_details_pb2, status_pb2

from paymentservice import errors, messages, payments
from paymentservice.cards import CardBrand, CardInput, check_card
from paymentservice.errors import DeclineReason
from paymentservice.network import Approval
from paymentservice.payments import PaymentStatus
from paymentservice.server import STATUS_BY_ERROR, bad_request_status
from service_runtime import status_details
from service_runtime.interceptors import status_for
from shop.payment.v1 import events_pb2, payment_pb2

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(seconds=30)
NUMBER = "4000056655665556"


def authorized(capture_refusal=None):
    card, _ = check_card(CardInput(NUMBER, "987", 12, 2031, "Ada Lovelace"))
    return payments.new_payment("pay_1", "order-1", Decimal("12.50"), "EUR", card,
                                Approval(capture_refusal=capture_refusal), T0)


def test_every_status_brand_and_reason_has_its_proto_value():
    assert {f"PAYMENT_STATUS_{s.name}" for s in PaymentStatus} == \
        set(payment_pb2.PaymentStatus.keys()) - {"PAYMENT_STATUS_UNSPECIFIED"}
    assert {f"CARD_BRAND_{b.name}" for b in CardBrand} == set(payment_pb2.CardBrand.keys()) - {"CARD_BRAND_UNSPECIFIED"}
    assert {f"DECLINE_REASON_{r.name}" for r in DeclineReason} == \
        set(payment_pb2.DeclineReason.keys()) - {"DECLINE_REASON_UNSPECIFIED"}


def test_a_captured_payment_as_protobuf():
    payment = payments.capture(authorized(), T1).payment
    message = messages.payment_to_proto(payment)
    assert (message.id, message.order_id, message.status, message.card_brand, message.card_last4) == (
        "pay_1", "order-1", payment_pb2.PAYMENT_STATUS_CAPTURED, payment_pb2.CARD_BRAND_VISA, "5556")
    assert (message.amount.currency_code, message.amount.units, message.amount.nanos) == ("EUR", 12, 500_000_000)
    assert message.captured_amount == message.amount
    assert (message.refunded_amount.currency_code, message.refunded_amount.units) == ("EUR", 0)
    assert message.capture_time.ToDatetime(timezone.utc) == T1 and not message.HasField("void_time")
    assert message.decline_reason == payment_pb2.DECLINE_REASON_UNSPECIFIED


def test_each_change_becomes_its_payment_event():
    captured = payments.capture(authorized(), T1)
    failed = payments.capture(authorized(DeclineReason.INSUFFICIENT_FUNDS), T1)
    refunded = payments.refund(captured.payment, Decimal("2.50"), "scratched", T1)
    voided = payments.void(authorized(), T1)
    assert messages.event_message(captured, "e1") == events_pb2.PaymentCaptured(
        event_id="e1", occur_time=messages.timestamp(T1), order_id="order-1", payment_id="pay_1",
        amount=messages.payment_to_proto(captured.payment).amount)
    failure = messages.event_message(failed, "e2")
    assert (type(failure), failure.reason, failure.message) == (
        events_pb2.PaymentFailed, payment_pb2.DECLINE_REASON_INSUFFICIENT_FUNDS, "The card has insufficient funds.")
    refund = messages.event_message(refunded, "e3")
    assert (refund.amount.units, refund.amount.nanos, refund.total_refunded.units, refund.fully_refunded,
            refund.reason) == (2, 500_000_000, 2, False, "scratched")
    assert messages.event_message(voided, "e4") == events_pb2.PaymentVoided(
        event_id="e4", occur_time=messages.timestamp(T1), order_id="order-1", payment_id="pay_1")


def test_no_event_or_payment_message_carries_the_card():
    captured = payments.capture(authorized(), T1)
    for message in (messages.payment_to_proto(captured.payment), messages.event_message(captured, "e1")):
        text = text_format.MessageToString(message) + repr(message.SerializeToString())
        assert NUMBER not in text and NUMBER[:12] not in text and "987" not in text and "Ada" not in text


@pytest.mark.parametrize("error, code", [
    (errors.InvalidRequest([errors.FieldViolation("order_id", "is required")]), grpc.StatusCode.INVALID_ARGUMENT),
    (errors.CardRefused(DeclineReason.CARD_DECLINED, "pay_1"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.IllegalTransition("payment pay_1 is voided"), grpc.StatusCode.FAILED_PRECONDITION),
    (errors.AuthorizationExists("order-1", "pay_1", "USD 1.00"), grpc.StatusCode.ALREADY_EXISTS),
    (errors.PaymentNotFound("with id 'x'"), grpc.StatusCode.NOT_FOUND),
])
def test_each_named_error_has_its_status(error, code):
    assert status_for(error, STATUS_BY_ERROR) == code


def test_a_malformed_request_carries_a_bad_request_naming_each_field():
    error = errors.InvalidRequest([errors.FieldViolation("credit_card.number", "must have 12 to 19 digits"),
                                   errors.FieldViolation("amount", "must be positive")])
    status = bad_request_status(error)
    assert (status.code, status.details) == (
        grpc.StatusCode.INVALID_ARGUMENT, "credit_card.number: must have 12 to 19 digits; amount: must be positive")
    [(key, value)] = status.trailing_metadata
    [detail] = status_pb2.Status.FromString(value).details
    bad_request = error_details_pb2.BadRequest()
    assert key == "grpc-status-details-bin" and detail.Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("credit_card.number", "must have 12 to 19 digits"), ("amount", "must be positive")]


def test_a_refusal_carries_an_error_info_with_the_decline_reason_and_payment():
    refusal = errors.CardRefused(DeclineReason.INCORRECT_CVV, "pay_1")
    status = status_details.rich_status(grpc.StatusCode.FAILED_PRECONDITION, str(refusal), refusal)
    [detail] = status_pb2.Status.FromString(dict(status.trailing_metadata)["grpc-status-details-bin"]).details
    info = error_details_pb2.ErrorInfo()
    assert detail.Unpack(info)
    assert (info.reason, dict(info.metadata)) == ("INCORRECT_CVV", {"payment_id": "pay_1"})
    assert status.details == "The card's security code (CVV) is incorrect."


def test_state_errors_carry_no_details():
    error = errors.IllegalTransition("payment pay_1 is voided, so it cannot be captured")
    assert status_details.rich_status(grpc.StatusCode.FAILED_PRECONDITION, str(error), error) is None
