"""Card rules: the Luhn check, brands and their lengths, CVV format, expiry, and that a
checked card shows only its brand and last four digits."""
from datetime import date

import pytest

from paymentservice.cards import (Card, CardBrand, CardInput, brand_rule, check_card, expired, luhn_valid,
                                  normalize_number)


def card_input(**changes) -> CardInput:
    fields = dict(number="4242 4242 4242 4242", cvv="123", expiry_month=12, expiry_year=2031,
                  holder_name="Ada Lovelace")
    fields.update(changes)
    return CardInput(**fields)


def violations_of(**changes) -> dict[str, str]:
    card, violations = check_card(card_input(**changes))
    assert card is None
    return {v.field: v.description for v in violations}


@pytest.mark.parametrize("digits", ["4242424242424242", "378282246310005", "6011111111111117",
                                    "5555555555554444", "79927398713", "0"])
def test_luhn_accepts_numbers_whose_check_digit_matches(digits):
    assert luhn_valid(digits)


@pytest.mark.parametrize("digits", ["4242424242424241", "4242424242424243", "79927398710", "", "42a2",
                                    "４２４２４２４２４２４２４２４２"])
def test_luhn_refuses_a_wrong_check_digit_and_anything_but_ascii_digits(digits):
    assert not luhn_valid(digits)


def test_luhn_catches_two_swapped_neighbouring_digits():
    assert luhn_valid("4242424242424242") and not luhn_valid("2442424242424242")


def test_spaces_and_dashes_between_digits_are_ignored():
    assert normalize_number(" 4242-4242 4242  4242 ") == "4242424242424242"
    assert normalize_number("4242 4242.4242 4242") == "42424242.42424242"  # a dot is not a separator


@pytest.mark.parametrize("digits, brand, cvv_length", [
    ("4242424242424242", CardBrand.VISA, 3),
    ("5555555555554444", CardBrand.MASTERCARD, 3),
    ("2223003122003222", CardBrand.MASTERCARD, 3),
    ("2720990000000007", CardBrand.MASTERCARD, 3),
    ("378282246310005", CardBrand.AMERICAN_EXPRESS, 4),
    ("341111111111111", CardBrand.AMERICAN_EXPRESS, 4),
    ("6011111111111117", CardBrand.DISCOVER, 3),
    ("6221260000000000", CardBrand.DISCOVER, 3),
    ("6445644564456445", CardBrand.DISCOVER, 3),
    ("6500000000000002", CardBrand.DISCOVER, 3),
])
def test_brand_is_told_by_the_leading_digits(digits, brand, cvv_length):
    rule = brand_rule(digits)
    assert (rule.brand, rule.cvv_length) == (brand, cvv_length)


@pytest.mark.parametrize("digits", ["3530111333300000",   # JCB
                                    "36227206271667",     # Diners Club
                                    "2220990000000000",   # just below Mastercard's 2-series
                                    "2721000000000000",   # just above it
                                    "6221250000000000",   # just below Discover's 622126
                                    "5019717010103742"])  # Dankort
def test_brands_the_shop_does_not_take_have_no_rule(digits):
    assert brand_rule(digits) is None


def test_a_good_card_passes_with_its_brand_and_tidied_fields():
    card, violations = check_card(card_input(number="3782-822463-10005", cvv=" 1234 ", holder_name="  Ada   Lovelace "))
    assert violations == []
    assert (card.brand, card.number, card.cvv, card.holder_name) == (
        CardBrand.AMERICAN_EXPRESS, "378282246310005", "1234", "Ada Lovelace")


def test_a_card_shows_only_its_last_four_digits_when_printed():
    card, _ = check_card(card_input(number="4000 0566 5566 5556", cvv="987"))
    assert card.last4 == "5556"
    for text in (repr(card), str(card), repr(card_input(number="4000056655665556", cvv="987"))):
        assert "4000056655665556" not in text and "40000566" not in text and "987" not in text


@pytest.mark.parametrize("number, expected", [
    ("", "is required"),
    ("4242 4242 4242 424x", "must be digits, with spaces or dashes between them if you like"),
    ("4242.4242.4242.4242", "must be digits, with spaces or dashes between them if you like"),
    ("42424242426", "must have 12 to 19 digits"),
    ("42424242424242424242", "must have 12 to 19 digits"),
    ("4242424242424241", "is not a valid card number (its check digit does not match)"),
    ("3530111333300000", "is of a card brand the shop does not accept "
                         "(we accept Visa, Mastercard, American Express and Discover)"),
    ("424242424242", "is not a valid Visa number (Visa numbers have 13 or 16 or 19 digits)"),
    ("55555555555544440", "is not a valid Mastercard number (Mastercard numbers have 16 digits)"),
    ("3782822463100003", "is not a valid American Express number (American Express numbers have 15 digits)"),
])
def test_a_malformed_number_is_named_without_being_echoed(number, expected):
    assert violations_of(number=number) == {"credit_card.number": expected}


@pytest.mark.parametrize("number, cvv, expected", [
    ("4242424242424242", "", "is required"),
    ("4242424242424242", "12", "must have 3 digits for Visa"),
    ("4242424242424242", "1234", "must have 3 digits for Visa"),
    ("4242424242424242", "12a", "must be digits only"),
    ("378282246310005", "123", "must have 4 digits for American Express"),
    ("5555555555554444", "١٢٣", "must be digits only"),
])
def test_the_cvv_has_the_brands_length(number, cvv, expected):
    assert violations_of(number=number, cvv=cvv) == {"credit_card.cvv": expected}


def test_a_cvv_is_still_checked_for_shape_when_the_number_is_wrong():
    assert violations_of(number="1234", cvv="12345") == {
        "credit_card.number": "must have 12 to 19 digits", "credit_card.cvv": "must have 3 or 4 digits"}
    assert "credit_card.cvv" not in violations_of(number="1234", cvv="1234")


@pytest.mark.parametrize("month", [0, 13, -1])
def test_the_month_is_1_to_12(month):
    assert violations_of(expiry_month=month) == {"credit_card.expiry_month": "must be a month from 1 to 12"}


@pytest.mark.parametrize("year", [0, 31, 999, 10000])
def test_the_year_has_four_digits(year):
    assert violations_of(expiry_year=year) == {"credit_card.expiry_year": "must be a four-digit year, e.g. 2030"}


def test_the_holder_name_is_required_and_bounded():
    assert violations_of(holder_name="   ") == {"credit_card.holder_name": "is required (the name on the card)"}
    assert violations_of(holder_name="x" * 101) == {"credit_card.holder_name": "must be at most 100 characters"}
    card, _ = check_card(card_input(holder_name="x" * 100))
    assert card is not None


def test_every_field_at_fault_is_named_at_once():
    assert set(violations_of(number="1", cvv="", expiry_month=0, expiry_year=0, holder_name="")) == {
        "credit_card.number", "credit_card.cvv", "credit_card.expiry_month", "credit_card.expiry_year",
        "credit_card.holder_name"}


def test_a_past_expiry_date_is_well_formed_so_the_network_can_decline_it():
    card, violations = check_card(card_input(expiry_month=1, expiry_year=2001))
    assert violations == [] and isinstance(card, Card)


@pytest.mark.parametrize("month, year, today, is_expired", [
    (11, 2026, date(2026, 11, 30), False),  # valid through the end of its month
    (11, 2026, date(2026, 12, 1), True),
    (12, 2025, date(2026, 1, 1), True),
    (1, 2027, date(2026, 12, 31), False),
    (6, 2040, date(2026, 6, 15), False),
])
def test_a_card_expires_after_the_last_day_of_its_month(month, year, today, is_expired):
    assert expired(month, year, today) is is_expired
