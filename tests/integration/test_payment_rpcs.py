"""Authorize, Capture, Refund, Void and GetPayment over a real gRPC channel against the
real paymentservice and PostgreSQL: the test cards, each state transition, and every
error with the status and details the contract promises."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from google.type import money_pb2

from shop.payment.v1 import payment_pb2, payment_pb2_grpc

P = payment_pb2
CODE = grpc.StatusCode


@pytest.fixture
def payments(payment_channel):
    return payment_pb2_grpc.PaymentServiceStub(payment_channel)


def card(number="4242 4242 4242 4242", cvv="123", month=12, year=2031, holder="Ada Lovelace"):
    return P.CreditCard(number=number, cvv=cvv, expiry_month=month, expiry_year=year, holder_name=holder)


def money(units, nanos=0, currency="USD"):
    return money_pb2.Money(currency_code=currency, units=units, nanos=nanos)


def new_order_id():
    return f"order-{uuid.uuid4().hex}"


def authorize(stub, order_id=None, amount=None, **card_fields):
    request = P.AuthorizeRequest(order_id=order_id or new_order_id(), amount=amount or money(40),
                                 credit_card=card(**card_fields))
    return stub.Authorize(request, timeout=10).payment


def get(stub, **lookup):
    return stub.GetPayment(P.GetPaymentRequest(**lookup), timeout=10).payment


class Refusal:
    """A failed call: its code, message and the google.rpc details it carried."""

    def __init__(self, error: grpc.RpcError):
        self.code, self.message = error.code(), error.details()
        status = status_pb2.Status()
        for key, value in error.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status.ParseFromString(value)
        self.bad_request = self.error_info = None
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                self.bad_request = error_details_pb2.BadRequest()
                detail.Unpack(self.bad_request)
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                self.error_info = error_details_pb2.ErrorInfo()
                detail.Unpack(self.error_info)

    @property
    def fields(self) -> dict[str, str]:
        return {v.field: v.description for v in self.bad_request.field_violations}


def refusal(call, request) -> Refusal:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=10)
    return Refusal(info.value)


def test_authorize_reserves_the_amount_and_keeps_only_brand_and_last_four(payments):
    order_id = new_order_id()
    payment = authorize(payments, order_id, money(42, 990_000_000), number="4242-4242-4242-4242")
    assert payment.id.startswith("pay_") and payment.order_id == order_id
    assert (payment.status, payment.card_brand, payment.card_last4) == (
        P.PAYMENT_STATUS_AUTHORIZED, P.CARD_BRAND_VISA, "4242")
    assert payment.amount == money(42, 990_000_000)
    assert payment.captured_amount == money(0) and payment.refunded_amount == money(0)
    assert payment.decline_reason == P.DECLINE_REASON_UNSPECIFIED
    assert payment.HasField("create_time") and not payment.HasField("capture_time")
    assert get(payments, payment_id=payment.id) == payment
    assert get(payments, order_id=order_id) == payment


@pytest.mark.parametrize("number, cvv, brand, last4", [
    ("5555 5555 5555 4444", "123", P.CARD_BRAND_MASTERCARD, "4444"),
    ("2223 0031 2200 3222", "123", P.CARD_BRAND_MASTERCARD, "3222"),
    ("3782 822463 10005", "1234", P.CARD_BRAND_AMERICAN_EXPRESS, "0005"),
    ("6011 1111 1111 1117", "123", P.CARD_BRAND_DISCOVER, "1117"),
    ("4111 1111 1111 1111", "123", P.CARD_BRAND_VISA, "1111"),  # not a test card: valid, so approved
])
def test_each_accepted_brand_is_approved(payments, number, cvv, brand, last4):
    payment = authorize(payments, number=number, cvv=cvv)
    assert (payment.status, payment.card_brand, payment.card_last4) == (P.PAYMENT_STATUS_AUTHORIZED, brand, last4)


@pytest.mark.parametrize("number, reason, message", [
    ("4000 0000 0000 0002", "CARD_DECLINED", "The card was declined."),
    ("4000 0000 0000 9995", "INSUFFICIENT_FUNDS", "The card has insufficient funds."),
    ("4000 0000 0000 0069", "EXPIRED_CARD", "The card has expired."),
    ("4000 0000 0000 0127", "INCORRECT_CVV", "The card's security code (CVV) is incorrect."),
])
def test_a_declining_test_card_is_refused_with_its_reason_and_recorded(payments, number, reason, message):
    order_id = new_order_id()
    refused = refusal(payments.Authorize, P.AuthorizeRequest(order_id=order_id, amount=money(40),
                                                             credit_card=card(number)))
    assert (refused.code, refused.message) == (CODE.FAILED_PRECONDITION, message)
    assert (refused.error_info.reason, refused.error_info.domain) == (reason, "shop")
    recorded = get(payments, order_id=order_id)
    assert recorded.id == refused.error_info.metadata["payment_id"]
    assert (recorded.status, P.DeclineReason.Name(recorded.decline_reason), recorded.card_last4) == (
        P.PAYMENT_STATUS_DECLINED, f"DECLINE_REASON_{reason}", number[-4:])


def test_a_card_past_its_expiry_month_is_declined_as_expired(payments):
    refused = refusal(payments.Authorize, P.AuthorizeRequest(
        order_id=new_order_id(), amount=money(40), credit_card=card(month=1, year=2020)))
    assert (refused.code, refused.error_info.reason) == (CODE.FAILED_PRECONDITION, "EXPIRED_CARD")


@pytest.mark.parametrize("changes, field, description", [
    (dict(number="4242 4242 4242 4241"), "credit_card.number",
     "is not a valid card number (its check digit does not match)"),
    (dict(number="3530 1113 3330 0000"), "credit_card.number",
     "is of a card brand the shop does not accept (we accept Visa, Mastercard, American Express and Discover)"),
    (dict(number="4242 4242 424"), "credit_card.number", "must have 12 to 19 digits"),
    (dict(number="3782 822463 10005", cvv="123"), "credit_card.cvv", "must have 4 digits for American Express"),
    (dict(cvv="1234"), "credit_card.cvv", "must have 3 digits for Visa"),
    (dict(month=13), "credit_card.expiry_month", "must be a month from 1 to 12"),
    (dict(year=31), "credit_card.expiry_year", "must be a four-digit year, e.g. 2030"),
    (dict(holder=" "), "credit_card.holder_name", "is required (the name on the card)"),
])
def test_a_malformed_card_is_invalid_naming_the_field_and_nothing_is_recorded(payments, changes, field, description):
    order_id = new_order_id()
    refused = refusal(payments.Authorize, P.AuthorizeRequest(order_id=order_id, amount=money(40),
                                                             credit_card=card(**changes)))
    assert refused.code == CODE.INVALID_ARGUMENT
    assert refused.fields == {field: description}
    assert refused.message == f"{field}: {description}"
    assert refusal(payments.GetPayment, P.GetPaymentRequest(order_id=order_id)).code == CODE.NOT_FOUND


@pytest.mark.parametrize("amount, field, description", [
    (None, "amount", "is required"),
    (money(0), "amount", "must be positive"),
    (money(-5), "amount", "must be positive"),
    (money(1, 5_000_000), "amount", "is finer than the smallest unit of USD"),
    (money(5, currency="XTS"), "amount.currency_code", "'XTS' is not a currency the shop supports"),
])
def test_a_bad_amount_is_invalid(payments, amount, field, description):
    refused = refusal(payments.Authorize, P.AuthorizeRequest(order_id=new_order_id(), amount=amount,
                                                             credit_card=card()))
    assert (refused.code, refused.fields) == (CODE.INVALID_ARGUMENT, {field: description})


def test_every_field_at_fault_is_named_in_one_answer(payments):
    refused = refusal(payments.Authorize, P.AuthorizeRequest(order_id="x" * 101, credit_card=P.CreditCard()))
    assert set(refused.fields) == {"order_id", "amount", "credit_card.number", "credit_card.cvv",
                                   "credit_card.expiry_month", "credit_card.expiry_year", "credit_card.holder_name"}


def test_authorize_is_idempotent_per_order(payments):
    order_id = new_order_id()
    first = authorize(payments, order_id)
    assert authorize(payments, order_id, number="5555 5555 5555 4444") == first  # not charged again
    other_amount = refusal(payments.Authorize, P.AuthorizeRequest(order_id=order_id, amount=money(41),
                                                                  credit_card=card()))
    assert other_amount.code == CODE.ALREADY_EXISTS
    assert other_amount.message == (f"order {order_id!r} already has payment {first.id} for USD 40.00; "
                                    "an order is authorized once, for one amount")


def test_a_retry_after_capture_returns_the_captured_payment(payments):
    order_id = new_order_id()
    first = authorize(payments, order_id)
    payments.Capture(P.CaptureRequest(payment_id=first.id), timeout=10)
    again = authorize(payments, order_id)
    assert (again.id, again.status) == (first.id, P.PAYMENT_STATUS_CAPTURED)


def test_a_declined_attempt_does_not_block_a_new_one_and_get_by_order_gives_the_latest(payments):
    order_id = new_order_id()
    declined = refusal(payments.Authorize, P.AuthorizeRequest(order_id=order_id, amount=money(40),
                                                              credit_card=card("4000 0000 0000 9995")))
    payment = authorize(payments, order_id)
    assert payment.id != declined.error_info.metadata["payment_id"]
    assert get(payments, order_id=order_id) == payment
    assert get(payments, payment_id=declined.error_info.metadata["payment_id"]).status == P.PAYMENT_STATUS_DECLINED


def test_concurrent_authorizations_of_one_order_make_one_payment(payments):
    order_id = new_order_id()
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: authorize(payments, order_id).id, range(8)))
    assert len(ids) == 1


def capture(stub, payment_id):
    return stub.Capture(P.CaptureRequest(payment_id=payment_id), timeout=10).payment


def void(stub, payment_id):
    return stub.Void(P.VoidRequest(payment_id=payment_id), timeout=10).payment


def refund(stub, payment_id, amount=None, reason=""):
    return stub.Refund(P.RefundRequest(payment_id=payment_id, amount=amount, reason=reason), timeout=10).payment


def test_capture_takes_the_amount_once(payments):
    payment = authorize(payments)
    captured = capture(payments, payment.id)
    assert (captured.status, captured.captured_amount) == (P.PAYMENT_STATUS_CAPTURED, payment.amount)
    assert captured.HasField("capture_time") and captured.update_time == captured.capture_time
    assert capture(payments, payment.id) == captured


@pytest.mark.parametrize("number, reason", [("4000 0000 0000 0341", "CARD_DECLINED"),
                                            ("4000 0000 0000 0358", "INSUFFICIENT_FUNDS")])
def test_a_capture_the_network_refuses_fails_the_payment(payments, number, reason):
    payment = authorize(payments, number=number)
    refused = refusal(payments.Capture, P.CaptureRequest(payment_id=payment.id))
    assert (refused.code, refused.error_info.reason) == (CODE.FAILED_PRECONDITION, reason)
    failed = get(payments, payment_id=payment.id)
    assert (failed.status, P.DeclineReason.Name(failed.decline_reason)) == (
        P.PAYMENT_STATUS_FAILED, f"DECLINE_REASON_{reason}")
    assert failed.captured_amount == money(0)
    again = refusal(payments.Capture, P.CaptureRequest(payment_id=payment.id))
    assert (again.code, again.message) == (
        CODE.FAILED_PRECONDITION, f"payment {payment.id} is failed (its capture was refused), so it cannot be captured")


def test_a_voided_or_declined_payment_cannot_be_captured(payments):
    voided = void(payments, authorize(payments).id)
    refused = refusal(payments.Capture, P.CaptureRequest(payment_id=voided.id))
    assert (refused.code, refused.message) == (
        CODE.FAILED_PRECONDITION, f"payment {voided.id} is voided, so it cannot be captured")
    declined_id = refusal(payments.Authorize, P.AuthorizeRequest(
        order_id=new_order_id(), amount=money(40), credit_card=card("4000 0000 0000 0002"))
    ).error_info.metadata["payment_id"]
    assert refusal(payments.Capture, P.CaptureRequest(payment_id=declined_id)).code == CODE.FAILED_PRECONDITION


def test_void_releases_an_authorization_once(payments):
    voided = void(payments, authorize(payments).id)
    assert voided.status == P.PAYMENT_STATUS_VOIDED and voided.HasField("void_time")
    assert void(payments, voided.id) == voided


def test_a_captured_payment_is_refunded_not_voided(payments):
    captured = capture(payments, authorize(payments).id)
    refused = refusal(payments.Void, P.VoidRequest(payment_id=captured.id))
    assert (refused.code, refused.message) == (
        CODE.FAILED_PRECONDITION,
        f"payment {captured.id} is captured, so it cannot be voided; use Refund")


def test_a_partial_refund_then_the_rest_then_nothing_more(payments):
    captured = capture(payments, authorize(payments, amount=money(40)).id)
    part = refund(payments, captured.id, money(15, 500_000_000), "one mug arrived broken")
    assert (part.status, part.refunded_amount) == (P.PAYMENT_STATUS_PARTIALLY_REFUNDED, money(15, 500_000_000))
    too_much = refusal(payments.Refund, P.RefundRequest(payment_id=captured.id, amount=money(24, 510_000_000)))
    assert (too_much.code, too_much.message) == (
        CODE.FAILED_PRECONDITION,
        f"cannot refund USD 24.51: only USD 24.50 of payment {captured.id} remains to be refunded")
    rest = refund(payments, captured.id)
    assert (rest.status, rest.refunded_amount, rest.captured_amount) == (
        P.PAYMENT_STATUS_REFUNDED, money(40), money(40))
    assert rest.HasField("refund_time") and rest.capture_time == captured.capture_time
    assert refund(payments, captured.id) == rest  # nothing left: unchanged
    assert capture(payments, captured.id) == rest  # captured once, even if since refunded
    assert refusal(payments.Refund, P.RefundRequest(payment_id=captured.id, amount=money(1))).code == \
        CODE.FAILED_PRECONDITION


@pytest.mark.parametrize("amount, field, description", [
    (money(0), "amount", "must be positive"),
    (money(5, currency="EUR"), "amount.currency_code", "must be the payment's currency, USD"),
])
def test_a_refund_amount_must_be_positive_and_in_the_payments_currency(payments, amount, field, description):
    captured = capture(payments, authorize(payments).id)
    refused = refusal(payments.Refund, P.RefundRequest(payment_id=captured.id, amount=amount))
    assert (refused.code, refused.fields) == (CODE.INVALID_ARGUMENT, {field: description})
    assert get(payments, payment_id=captured.id) == captured


def test_an_authorization_is_voided_not_refunded(payments):
    payment = authorize(payments)
    refused = refusal(payments.Refund, P.RefundRequest(payment_id=payment.id))
    assert (refused.code, refused.message) == (
        CODE.FAILED_PRECONDITION, f"payment {payment.id} is authorized and was never captured, so there is "
                                  "nothing to refund; use Void to release an authorization")


@pytest.mark.parametrize("call, message", [
    ("Capture", P.CaptureRequest(payment_id="pay_missing")),
    ("Void", P.VoidRequest(payment_id="pay_missing")),
    ("Refund", P.RefundRequest(payment_id="pay_missing")),
    ("GetPayment", P.GetPaymentRequest(payment_id="pay_missing")),
])
def test_an_unknown_payment_is_not_found(payments, call, message):
    refused = refusal(getattr(payments, call), message)
    assert (refused.code, refused.message) == (CODE.NOT_FOUND, "there is no payment with id 'pay_missing'")


@pytest.mark.parametrize("call, message", [
    ("Capture", P.CaptureRequest()), ("Void", P.VoidRequest()), ("Refund", P.RefundRequest()),
    ("GetPayment", P.GetPaymentRequest(payment_id="")),
])
def test_a_missing_payment_id_is_invalid(payments, call, message):
    refused = refusal(getattr(payments, call), message)
    assert (refused.code, refused.fields) == (CODE.INVALID_ARGUMENT, {"payment_id": "is required"})


def test_get_payment_needs_a_payment_id_or_an_order_id(payments):
    refused = refusal(payments.GetPayment, P.GetPaymentRequest())
    assert (refused.code, refused.fields) == (CODE.INVALID_ARGUMENT,
                                              {"payment_id": "payment_id or order_id is required"})
    assert refusal(payments.GetPayment, P.GetPaymentRequest(order_id="order-none")).message == \
        "there is no payment for order 'order-none'"
