"""The mock card network: each test card's answer, the expiry date, and that the
README documents exactly the cards the network knows."""
import re
from datetime import date
from pathlib import Path

import pytest

from paymentservice import network
from paymentservice.cards import CardInput, check_card
from paymentservice.errors import DeclineReason
from paymentservice.network import Approval, Decline

TODAY = date(2026, 11, 21)
README = Path(__file__).resolve().parents[2] / "paymentservice" / "README.md"


def card(number: str, *, month: int = 12, year: int = 2031):
    cvv = "1234" if number.startswith(("34", "37")) else "123"
    checked, violations = check_card(CardInput(number, cvv, month, year, "Ada Lovelace"))
    assert violations == []
    return checked


@pytest.mark.parametrize("number, answer", [
    ("4242424242424242", Approval()),
    ("5555555555554444", Approval()),
    ("2223003122003222", Approval()),
    ("378282246310005", Approval()),
    ("6011111111111117", Approval()),
    ("4000000000000002", Decline(DeclineReason.CARD_DECLINED)),
    ("4000000000009995", Decline(DeclineReason.INSUFFICIENT_FUNDS)),
    ("4000000000000069", Decline(DeclineReason.EXPIRED_CARD)),
    ("4000000000000127", Decline(DeclineReason.INCORRECT_CVV)),
    ("4000000000000341", Approval(capture_refusal=DeclineReason.CARD_DECLINED)),
    ("4000000000000358", Approval(capture_refusal=DeclineReason.INSUFFICIENT_FUNDS)),
])
def test_each_test_card_gets_its_documented_answer(number, answer):
    assert network.authorize(card(number), TODAY) == answer


@pytest.mark.parametrize("number", ["4111111111111111", "5105105105105100", "371449635398431", "6011000990139424"])
def test_any_other_well_formed_card_is_approved_and_captures(number):
    assert network.authorize(card(number), TODAY) == Approval(capture_refusal=None)


def test_the_expired_test_card_is_expired_whatever_date_is_typed():
    assert network.authorize(card("4000000000000069", year=2099), TODAY) == Decline(DeclineReason.EXPIRED_CARD)


@pytest.mark.parametrize("number", ["4242424242424242", "4000000000000002", "4000000000000341"])
def test_a_card_past_its_expiry_month_is_declined_as_expired_before_anything_else(number):
    assert network.authorize(card(number, month=10, year=2026), TODAY) == Decline(DeclineReason.EXPIRED_CARD)


def test_a_card_is_good_through_its_expiry_month():
    assert network.authorize(card("4242424242424242", month=11, year=2026), TODAY) == Approval()
    assert network.authorize(card("4242424242424242", month=11, year=2026), date(2026, 12, 1)) == \
        Decline(DeclineReason.EXPIRED_CARD)


def test_every_test_card_is_a_valid_card_of_a_brand_the_shop_takes():
    for test_card in network.TEST_CARDS:
        assert card(test_card.number) is not None


def test_the_readme_lists_exactly_the_networks_test_cards():
    documented = {re.sub(r"\D", "", number)
                  for number in re.findall(r"^\| `([\d ]+)` \|", README.read_text(), flags=re.MULTILINE)}
    assert documented == {test_card.number for test_card in network.TEST_CARDS}
