"""The payment state machine: which operations each status allows, what they change,
which event announces the change, and that repeats change nothing."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from paymentservice import payments
from paymentservice.cards import CardBrand, CardInput, check_card
from paymentservice.errors import DeclineReason, IllegalTransition
from paymentservice.network import Approval, Decline
from paymentservice.payments import Captured, CaptureFailed, PaymentStatus, Refunded, Voided

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)
S = PaymentStatus


def authorized(capture_refusal=None, amount="40.00"):
    card, _ = check_card(CardInput("4242424242424242", "123", 12, 2031, "Ada Lovelace"))
    return payments.new_payment("pay_1", "order-1", Decimal(amount), "USD", card,
                                Approval(capture_refusal=capture_refusal), T0)


def in_status(status: PaymentStatus):
    payment = authorized()
    steps = {
        S.AUTHORIZED: [],
        S.CAPTURED: [lambda p: payments.capture(p, T1)],
        S.VOIDED: [lambda p: payments.void(p, T1)],
        S.PARTIALLY_REFUNDED: [lambda p: payments.capture(p, T1),
                               lambda p: payments.refund(p, Decimal("10"), "", T1)],
        S.REFUNDED: [lambda p: payments.capture(p, T1), lambda p: payments.refund(p, None, "", T1)],
    }
    if status is S.FAILED:
        return payments.capture(authorized(DeclineReason.INSUFFICIENT_FUNDS), T1).payment
    if status is S.DECLINED:
        card, _ = check_card(CardInput("4000000000000002", "123", 12, 2031, "Ada"))
        return payments.new_payment("pay_1", "order-1", Decimal(40), "USD", card,
                                    Decline(DeclineReason.CARD_DECLINED), T0)
    for step in steps[status]:
        payment = step(payment).payment
    assert payment.status is status
    return payment


def test_a_new_payment_keeps_the_cards_brand_and_last_four_only():
    card, _ = check_card(CardInput("5555 5555 5555 4444", "123", 12, 2031, "Ada Lovelace"))
    payment = payments.new_payment("pay_1", "order-1", Decimal("12.50"), "EUR", card, Approval(), T0)
    assert (payment.status, payment.card_brand, payment.card_last4) == (S.AUTHORIZED, CardBrand.MASTERCARD, "4444")
    assert (payment.captured_amount, payment.refunded_amount, payment.decline_reason) == (0, 0, None)
    assert payment.create_time == payment.update_time == T0
    assert "5555555555554444" not in repr(payment) and "Ada" not in repr(payment)


def test_a_refused_authorization_is_recorded_as_declined_with_its_reason():
    payment = in_status(S.DECLINED)
    assert (payment.status, payment.decline_reason) == (S.DECLINED, DeclineReason.CARD_DECLINED)


def test_capture_takes_the_authorized_amount():
    transition = payments.capture(authorized(), T1)
    payment = transition.payment
    assert (payment.status, payment.captured_amount, payment.capture_time, payment.update_time) == (
        S.CAPTURED, Decimal("40.00"), T1, T1)
    assert transition.event == Captured(Decimal("40.00"))


def test_a_capture_the_network_refuses_fails_the_payment_and_takes_nothing():
    transition = payments.capture(authorized(DeclineReason.CARD_DECLINED), T1)
    payment = transition.payment
    assert (payment.status, payment.decline_reason, payment.captured_amount, payment.capture_time) == (
        S.FAILED, DeclineReason.CARD_DECLINED, 0, None)
    assert transition.event == CaptureFailed(DeclineReason.CARD_DECLINED)


@pytest.mark.parametrize("status", [S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED])
def test_capturing_again_returns_the_payment_unchanged(status):
    payment = in_status(status)
    assert payments.capture(payment, T2) == payments.Transition(payment, None)


@pytest.mark.parametrize("status, message", [
    (S.DECLINED, "payment pay_1 is declined, so it cannot be captured"),
    (S.VOIDED, "payment pay_1 is voided, so it cannot be captured"),
    (S.FAILED, r"payment pay_1 is failed \(its capture was refused\), so it cannot be captured"),
])
def test_capture_is_refused_when_nothing_is_authorized(status, message):
    with pytest.raises(IllegalTransition, match=f"^{message}$"):
        payments.capture(in_status(status), T2)


def test_void_releases_an_authorization():
    transition = payments.void(authorized(), T1)
    assert (transition.payment.status, transition.payment.void_time) == (S.VOIDED, T1)
    assert transition.event == Voided()


def test_voiding_again_changes_nothing():
    payment = in_status(S.VOIDED)
    assert payments.void(payment, T2) == payments.Transition(payment, None)


@pytest.mark.parametrize("status", [S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED])
def test_a_captured_payment_cannot_be_voided_it_is_refunded(status):
    with pytest.raises(IllegalTransition) as refusal:
        payments.void(in_status(status), T2)
    assert str(refusal.value) == f"payment pay_1 is {status.value}, so it cannot be voided; use Refund"


@pytest.mark.parametrize("status, described", [(S.DECLINED, "declined"),
                                               (S.FAILED, "failed (its capture was refused)")])
def test_there_is_nothing_to_void_without_an_authorization(status, described):
    with pytest.raises(IllegalTransition) as refusal:
        payments.void(in_status(status), T2)
    assert str(refusal.value) == f"payment pay_1 is {described}, so there is no authorization to void"


def test_a_partial_refund_then_the_rest():
    first = payments.refund(in_status(S.CAPTURED), Decimal("15.50"), "scratched mug", T1)
    assert (first.payment.status, first.payment.refunded_amount, first.payment.refundable) == (
        S.PARTIALLY_REFUNDED, Decimal("15.50"), Decimal("24.50"))
    assert first.event == Refunded(Decimal("15.50"), Decimal("15.50"), False, "scratched mug")
    rest = payments.refund(first.payment, None, "", T2)
    assert (rest.payment.status, rest.payment.refunded_amount, rest.payment.refund_time) == (
        S.REFUNDED, Decimal("40.00"), T2)
    assert rest.event == Refunded(Decimal("24.50"), Decimal("40.00"), True, "")


def test_refunding_exactly_what_remains_makes_the_payment_refunded():
    transition = payments.refund(in_status(S.CAPTURED), Decimal("40"), "", T1)
    assert transition.payment.status is S.REFUNDED and transition.event.fully_refunded


def test_refunding_all_with_nothing_left_changes_nothing():
    payment = in_status(S.REFUNDED)
    assert payments.refund(payment, None, "", T2) == payments.Transition(payment, None)


@pytest.mark.parametrize("status, amount", [(S.CAPTURED, "40.01"), (S.PARTIALLY_REFUNDED, "30.01"),
                                            (S.REFUNDED, "0.01")])
def test_refunding_more_than_remains_is_refused(status, amount):
    with pytest.raises(IllegalTransition, match="cannot refund USD .*: only USD .* remains to be refunded"):
        payments.refund(in_status(status), Decimal(amount), "", T2)


def test_an_authorized_payment_is_voided_not_refunded():
    with pytest.raises(IllegalTransition) as refusal:
        payments.refund(authorized(), None, "", T1)
    assert str(refusal.value) == ("payment pay_1 is authorized and was never captured, so there is nothing to refund; "
                                  "use Void to release an authorization")


@pytest.mark.parametrize("status", [S.DECLINED, S.FAILED, S.VOIDED])
def test_a_payment_never_captured_has_nothing_to_refund(status):
    with pytest.raises(IllegalTransition, match=" and was never captured, so there is nothing to refund$"):
        payments.refund(in_status(status), None, "", T2)
