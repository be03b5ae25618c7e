"""PaymentProcessor over an in-memory store: authorization once per order, declines
recorded, changes announced by events, and order events handled once each."""
import asyncio
import itertools
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from paymentservice.amounts import MoneyInput
from paymentservice.cards import CardInput
from paymentservice.errors import (AuthorizationExists, CardRefused, DeclineReason, IllegalTransition,
                                   InvalidRequest, PaymentNotFound)
from paymentservice.payments import Captured, CaptureFailed, PaymentStatus, Refunded, Voided
from paymentservice.processor import AuthorizeInput, EventCause, Outcome, PaymentProcessor

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
S = PaymentStatus


class InMemoryTransaction:
    def __init__(self, store: "InMemoryStore", traceparent):
        self._store = store
        self._traceparent = traceparent
        self.payments = dict(store.payments)
        self.claims = set(store.claims)
        self.published = []

    async def claim(self, event_id, message_type):
        if event_id in self.claims:
            return False
        self.claims.add(event_id)
        return True

    async def lock_order(self, order_id):
        return next((p for p in self.payments.values() if p.order_id == order_id and p.status is not S.DECLINED),
                    None)

    async def lock(self, payment_id):
        return self.payments.get(payment_id)

    async def add(self, payment):
        self.payments[payment.id] = payment

    async def save(self, transition):
        self.payments[transition.payment.id] = transition.payment
        self.published.append((transition.payment.id, transition.event, self._traceparent))


class InMemoryStore:
    """Honest about transactions: a transaction's changes are kept only if it ends well."""

    def __init__(self):
        self.payments = {}
        self.claims = set()
        self.published = []

    @asynccontextmanager
    async def transaction(self, *, traceparent=None):
        tx = InMemoryTransaction(self, traceparent)
        yield tx
        self.payments, self.claims = tx.payments, tx.claims
        self.published += tx.published

    async def find(self, payment_id):
        return self.payments.get(payment_id)

    async def latest_for_order(self, order_id):
        return next((p for p in reversed(self.payments.values()) if p.order_id == order_id), None)

    def events_of(self, payment_id):
        return [event for pid, event, _ in self.published if pid == payment_id]


@pytest.fixture
def store():
    return InMemoryStore()


@pytest.fixture
def processor(store):
    ids = itertools.count(1)
    return PaymentProcessor(store, new_payment_id=lambda: f"pay_{next(ids)}", clock=lambda: NOW)


def run(coroutine):
    return asyncio.run(coroutine)


def request(order_id="order-1", number="4242 4242 4242 4242", units=40, currency="USD", **card_changes):
    card = dict(number=number, cvv="123", expiry_month=12, expiry_year=2031, holder_name="Ada Lovelace")
    card.update(card_changes)
    return AuthorizeInput(order_id, MoneyInput(currency, units, 0), CardInput(**card))


def authorized(processor, order_id="order-1", number="4242424242424242"):
    return run(processor.authorize(request(order_id, number)))


def captured(processor, order_id="order-1"):
    return run(processor.capture(authorized(processor, order_id).id))


def test_an_authorization_is_recorded_and_announces_nothing(processor, store):
    payment = authorized(processor)
    assert store.payments == {payment.id: payment}
    assert (payment.status, payment.amount, payment.currency_code, payment.card_last4) == (
        S.AUTHORIZED, Decimal(40), "USD", "4242")
    assert store.published == []


def test_authorizing_an_order_again_returns_its_payment_without_charging_again(processor, store):
    first = authorized(processor)
    again = run(processor.authorize(request(number="5555 5555 5555 4444")))
    assert again == first and len(store.payments) == 1


def test_the_retry_of_a_captured_authorization_returns_it_as_it_is_now(processor):
    payment = captured(processor)
    assert run(processor.authorize(request())).status is S.CAPTURED
    assert run(processor.authorize(request())).id == payment.id


def test_authorizing_an_order_again_for_another_amount_is_refused(processor, store):
    first = authorized(processor)
    with pytest.raises(AuthorizationExists, match=f"order 'order-1' already has payment {first.id} for USD 40.00"):
        run(processor.authorize(request(units=41)))
    with pytest.raises(AuthorizationExists):
        run(processor.authorize(request(currency="EUR")))
    assert list(store.payments) == [first.id]


def test_a_decline_is_recorded_and_raised_with_its_reason(processor, store):
    with pytest.raises(CardRefused) as refusal:
        run(processor.authorize(request(number="4000000000009995")))
    assert refusal.value.decline is DeclineReason.INSUFFICIENT_FUNDS
    assert str(refusal.value) == "The card has insufficient funds."
    payment = store.payments[refusal.value.payment_id]
    assert (payment.status, payment.decline_reason, payment.card_last4) == (
        S.DECLINED, DeclineReason.INSUFFICIENT_FUNDS, "9995")


def test_an_issuer_that_fails_declines_what_the_network_approved_and_nothing_else(store):
    asked = []
    processor = PaymentProcessor(store, new_payment_id=lambda: f"pay_{len(store.payments) + 1}", clock=lambda: NOW,
                                 issuer_fails=lambda: asked.append(1) or True)
    with pytest.raises(CardRefused) as refusal:
        run(processor.authorize(request()))
    assert refusal.value.decline is DeclineReason.ISSUER_UNAVAILABLE
    assert store.payments[refusal.value.payment_id].status is S.DECLINED
    with pytest.raises(CardRefused) as own:  # a test card's own refusal is not the issuer's
        run(processor.authorize(request(order_id="order-2", number="4000000000009995")))
    assert own.value.decline is DeclineReason.INSUFFICIENT_FUNDS
    assert len(asked) == 1


def test_a_decline_does_not_block_a_new_attempt_for_the_order(processor):
    with pytest.raises(CardRefused):
        run(processor.authorize(request(number="4000000000000002")))
    payment = authorized(processor)
    assert payment.status is S.AUTHORIZED
    assert run(processor.get_for_order("order-1")) == payment


def test_a_card_past_its_expiry_month_today_is_declined_as_expired(processor):
    with pytest.raises(CardRefused) as refusal:
        run(processor.authorize(request(expiry_month=10, expiry_year=2026)))
    assert refusal.value.decline is DeclineReason.EXPIRED_CARD


def test_a_malformed_request_names_every_field_and_records_nothing(processor, store):
    bad = AuthorizeInput("", None, CardInput("4242424242424241", "12", 13, 26, ""))
    with pytest.raises(InvalidRequest) as error:
        run(processor.authorize(bad))
    assert [v.field for v in error.value.violations] == [
        "order_id", "amount", "credit_card.number", "credit_card.cvv", "credit_card.expiry_month",
        "credit_card.expiry_year", "credit_card.holder_name"]
    assert store.payments == {}


def test_capture_announces_the_captured_amount_once(processor, store):
    payment = captured(processor)
    assert payment.status is S.CAPTURED
    assert run(processor.capture(payment.id)) == payment
    assert store.events_of(payment.id) == [Captured(Decimal(40))]


def test_a_refused_capture_is_kept_as_failed_and_announced_even_though_the_call_fails(processor, store):
    payment = authorized(processor, number="4000000000000341")
    with pytest.raises(CardRefused) as refusal:
        run(processor.capture(payment.id))
    assert (refusal.value.decline, refusal.value.payment_id) == (DeclineReason.CARD_DECLINED, payment.id)
    assert store.payments[payment.id].status is S.FAILED
    assert store.events_of(payment.id) == [CaptureFailed(DeclineReason.CARD_DECLINED)]
    with pytest.raises(IllegalTransition):
        run(processor.capture(payment.id))


def test_void_and_refund_announce_what_they_did(processor, store):
    voided = run(processor.void(authorized(processor, "order-1").id))
    refunded = run(processor.refund(captured(processor, "order-2").id,
                                    MoneyInput("USD", 15, 0), "  one mug arrived broken "))
    assert store.events_of(voided.id) == [Voided()]
    assert store.events_of(refunded.id)[-1] == Refunded(Decimal(15), Decimal(15), False, "one mug arrived broken")


def test_a_refund_in_another_currency_is_refused_and_changes_nothing(processor, store):
    payment = captured(processor)
    with pytest.raises(InvalidRequest, match="amount.currency_code: must be the payment's currency, USD"):
        run(processor.refund(payment.id, MoneyInput("EUR", 5, 0), ""))
    assert store.payments[payment.id] == payment


def test_a_refund_reason_is_bounded(processor):
    with pytest.raises(InvalidRequest, match="reason: must be at most 500 characters"):
        run(processor.refund(captured(processor).id, None, "x" * 501))


def test_an_unknown_or_missing_payment_id(processor):
    with pytest.raises(PaymentNotFound, match="there is no payment with id 'pay_404'"):
        run(processor.capture("pay_404"))
    with pytest.raises(PaymentNotFound, match="there is no payment for order 'order-404'"):
        run(processor.get_for_order("order-404"))
    with pytest.raises(InvalidRequest, match="payment_id: is required"):
        run(processor.void(" "))


def cause(event_id="event-1", message_type="shop.checkout.v1.OrderPlaced"):
    return EventCause(event_id, message_type, traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")


def test_order_placed_captures_and_a_redelivery_changes_nothing(processor, store):
    payment = authorized(processor)
    outcome, after = run(processor.on_order_placed(cause(), "order-1", payment.id))
    assert (outcome, after.status) == (Outcome.CAPTURED, S.CAPTURED)
    assert run(processor.on_order_placed(cause(), "order-1", payment.id)) == (Outcome.ALREADY_HANDLED, None)
    assert store.published == [(payment.id, Captured(Decimal(40)), cause().traceparent)]


def test_order_placed_for_a_card_that_fails_at_capture_announces_the_failure(processor, store):
    payment = authorized(processor, number="4000000000000358")
    outcome, after = run(processor.on_order_placed(cause(), "order-1", payment.id))
    assert (outcome, after.status, after.decline_reason) == (
        Outcome.CAPTURE_FAILED, S.FAILED, DeclineReason.INSUFFICIENT_FUNDS)
    assert store.events_of(payment.id) == [CaptureFailed(DeclineReason.INSUFFICIENT_FUNDS)]


def test_order_placed_leaves_a_payment_that_is_no_longer_authorized_alone(processor, store):
    payment = run(processor.void(authorized(processor).id))
    assert run(processor.on_order_placed(cause(), "order-1", payment.id)) == (Outcome.NOTHING_TO_DO, payment)
    assert store.events_of(payment.id) == [Voided()]


@pytest.mark.parametrize("order_id, payment_id", [("order-2", "pay_1"), ("order-1", "pay_404"), ("order-1", "")])
def test_an_order_event_naming_no_payment_of_its_order_touches_nothing_and_is_not_recorded(
        processor, store, order_id, payment_id):
    payment = authorized(processor, "order-1")
    with pytest.raises(PaymentNotFound, match=f"there is no payment with id '{payment_id}' for order '{order_id}'"):
        run(processor.on_order_placed(cause(), order_id, payment_id))
    with pytest.raises(PaymentNotFound):
        run(processor.on_order_cancelled(cause(), order_id, payment_id, ""))
    assert store.payments == {payment.id: payment} and store.claims == set()


def test_order_cancelled_voids_an_authorization(processor, store):
    payment = authorized(processor)
    outcome, after = run(processor.on_order_cancelled(cause(), "order-1", payment.id, ""))
    assert (outcome, after.status) == (Outcome.VOIDED, S.VOIDED)


def test_order_cancelled_refunds_all_that_remains_of_a_captured_payment(processor, store):
    payment = run(processor.refund(captured(processor).id, MoneyInput("USD", 10, 0), ""))
    outcome, after = run(processor.on_order_cancelled(cause(), "order-1", payment.id, "changed my mind"))
    assert (outcome, after.status, after.refunded_amount) == (Outcome.REFUNDED, S.REFUNDED, Decimal(40))
    assert store.events_of(payment.id)[-1] == Refunded(Decimal(30), Decimal(40), True,
                                                       "order cancelled: changed my mind")


def test_order_cancelled_after_a_failed_capture_has_nothing_to_give_back(processor, store):
    payment = authorized(processor, number="4000000000000341")
    run(processor.on_order_placed(cause("placed"), "order-1", payment.id))
    outcome, after = run(processor.on_order_cancelled(cause("cancelled"), "order-1", payment.id, ""))
    assert (outcome, after.status) == (Outcome.NOTHING_TO_DO, S.FAILED)
    assert len(store.events_of(payment.id)) == 1
