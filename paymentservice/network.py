"""The mock card network, pure: what it answers for each card. Test cards (listed in
README.md) trigger each outcome; any other card that passes the format checks is
approved, and so is its capture.

A real network remembers an authorization and decides at capture time. This one has no
memory, so its verdict on the later capture is part of its approval, and the payment
keeps it (`capture_refusal`) until the capture asks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paymentservice.cards import Card, expired
from paymentservice.errors import DeclineReason


@dataclass(frozen=True)
class ScriptedCard:
    number: str
    what: str
    # The authorization's refusal, or None when it is approved.
    decline: DeclineReason | None = None
    # The capture's refusal (of an approved authorization), or None when it succeeds.
    capture_refusal: DeclineReason | None = None


TEST_CARDS: tuple[ScriptedCard, ...] = (
    ScriptedCard("4242424242424242", "Visa: approved, captured"),
    ScriptedCard("5555555555554444", "Mastercard: approved, captured"),
    ScriptedCard("2223003122003222", "Mastercard (2-series): approved, captured"),
    ScriptedCard("378282246310005", "American Express (4-digit CVV): approved, captured"),
    ScriptedCard("6011111111111117", "Discover: approved, captured"),
    ScriptedCard("4000000000000002", "declined", decline=DeclineReason.CARD_DECLINED),
    ScriptedCard("4000000000009995", "insufficient funds", decline=DeclineReason.INSUFFICIENT_FUNDS),
    ScriptedCard("4000000000000069", "expired, whatever the expiry date typed", decline=DeclineReason.EXPIRED_CARD),
    ScriptedCard("4000000000000127", "incorrect CVV", decline=DeclineReason.INCORRECT_CVV),
    ScriptedCard("4000000000000341", "approved, then the capture is declined",
                 capture_refusal=DeclineReason.CARD_DECLINED),
    ScriptedCard("4000000000000358", "approved, then the capture fails for insufficient funds",
                 capture_refusal=DeclineReason.INSUFFICIENT_FUNDS),
)
_BY_NUMBER = {card.number: card for card in TEST_CARDS}


@dataclass(frozen=True)
class Approval:
    # What the network will answer when the authorization is captured.
    capture_refusal: DeclineReason | None = None


@dataclass(frozen=True)
class Decline:
    reason: DeclineReason


def authorize(card: Card, today: date) -> Approval | Decline:
    """The network's answer to an authorization. A card past its expiry date is declined
    as expired whatever the number; a test card answers as listed; any other card is
    approved."""
    if expired(card.expiry_month, card.expiry_year, today):
        return Decline(DeclineReason.EXPIRED_CARD)
    test_card = _BY_NUMBER.get(card.number)
    if test_card is None:
        return Approval()
    if test_card.decline is not None:
        return Decline(test_card.decline)
    return Approval(capture_refusal=test_card.capture_refusal)
