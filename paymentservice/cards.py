"""Card rules, pure: the number's shape and Luhn check, the brand and its lengths, the
CVV's format, the expiry date, and what of a card may be kept (brand and last four).

A number or CVV is never put into a message, a repr or an error: they may end up in a
log line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from paymentservice.errors import FieldViolation

MIN_DIGITS, MAX_DIGITS = 12, 19
MAX_HOLDER_NAME = 100
_SEPARATORS = re.compile(r"(?<=\d)[ -]+(?=\d)")


class CardBrand(Enum):
    VISA = "Visa"
    MASTERCARD = "Mastercard"
    AMERICAN_EXPRESS = "American Express"
    DISCOVER = "Discover"


@dataclass(frozen=True)
class BrandRule:
    brand: CardBrand
    # Inclusive ranges of the number's leading digits, e.g. ("2221", "2720").
    prefixes: tuple[tuple[str, str], ...]
    lengths: tuple[int, ...]
    cvv_length: int

    def matches(self, digits: str) -> bool:
        return any(low <= digits[:len(low)] <= high for low, high in self.prefixes)


BRAND_RULES: tuple[BrandRule, ...] = (
    BrandRule(CardBrand.VISA, (("4", "4"),), (13, 16, 19), 3),
    BrandRule(CardBrand.MASTERCARD, (("51", "55"), ("2221", "2720")), (16,), 3),
    BrandRule(CardBrand.AMERICAN_EXPRESS, (("34", "34"), ("37", "37")), (15,), 4),
    BrandRule(CardBrand.DISCOVER, (("6011", "6011"), ("622126", "622925"), ("644", "649"), ("65", "65")),
              (16, 17, 18, 19), 3),
)
ACCEPTED = "Visa, Mastercard, American Express and Discover"


@dataclass(frozen=True)
class CardInput:
    """A card as typed at checkout, before any check."""

    number: str = field(repr=False)
    cvv: str = field(repr=False)
    expiry_month: int
    expiry_year: int
    holder_name: str


@dataclass(frozen=True)
class Card:
    """A card that passed every format check. Lives only for one authorization."""

    number: str = field(repr=False)  # digits only
    cvv: str = field(repr=False)
    brand: CardBrand
    expiry_month: int
    expiry_year: int
    holder_name: str

    @property
    def last4(self) -> str:
        return self.number[-4:]


def normalize_number(number: str) -> str:
    """The number without the spaces and dashes people type between digits."""
    return _SEPARATORS.sub("", number.strip())


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every card number carries in its last digit."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_rule(digits: str) -> BrandRule | None:
    return next((rule for rule in BRAND_RULES if rule.matches(digits)), None)


def expired(expiry_month: int, expiry_year: int, today: date) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (expiry_year, expiry_month) < (today.year, today.month)


def _number_problem(digits: str) -> str | None:
    if not digits:
        return "is required"
    if not digits.isascii() or not digits.isdigit():
        return "must be digits, with spaces or dashes between them if you like"
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return f"must have {MIN_DIGITS} to {MAX_DIGITS} digits"
    if not luhn_valid(digits):
        return "is not a valid card number (its check digit does not match)"
    rule = brand_rule(digits)
    if rule is None:
        return f"is of a card brand the shop does not accept (we accept {ACCEPTED})"
    if len(digits) not in rule.lengths:
        lengths = " or ".join(str(n) for n in rule.lengths)
        return f"is not a valid {rule.brand.value} number ({rule.brand.value} numbers have {lengths} digits)"
    return None


def _cvv_problem(cvv: str, rule: BrandRule | None) -> str | None:
    if not cvv:
        return "is required"
    if not cvv.isascii() or not cvv.isdigit():
        return "must be digits only"
    if rule is None:
        return None if len(cvv) in (3, 4) else "must have 3 or 4 digits"
    if len(cvv) != rule.cvv_length:
        return f"must have {rule.cvv_length} digits for {rule.brand.value}"
    return None


def check_card(card: CardInput, prefix: str = "credit_card") -> tuple[Card | None, list[FieldViolation]]:
    """The checked card, or None and every field at fault. An expiry date in the past is
    not a format error: the card is well formed, and the network declines it."""
    violations: list[FieldViolation] = []

    def problem(name: str, description: str | None) -> None:
        if description:
            violations.append(FieldViolation(f"{prefix}.{name}", description))

    digits = normalize_number(card.number)
    number_problem = _number_problem(digits)
    problem("number", number_problem)
    rule = None if number_problem else brand_rule(digits)
    problem("cvv", _cvv_problem(card.cvv.strip(), rule))
    if not 1 <= card.expiry_month <= 12:
        problem("expiry_month", "must be a month from 1 to 12")
    if not 1000 <= card.expiry_year <= 9999:
        problem("expiry_year", "must be a four-digit year, e.g. 2030")
    holder = " ".join(card.holder_name.split())
    if not holder:
        problem("holder_name", "is required (the name on the card)")
    elif len(holder) > MAX_HOLDER_NAME:
        problem("holder_name", f"must be at most {MAX_HOLDER_NAME} characters")
    if violations:
        return None, violations
    return Card(number=digits, cvv=card.cvv.strip(), brand=rule.brand, expiry_month=card.expiry_month,
                expiry_year=card.expiry_year, holder_name=holder), []
