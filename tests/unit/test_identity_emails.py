"""Email addresses: validated and normalized without DNS, unique case-insensitively;
special-use domains only for the configured admin and for signing in."""
import pytest

from identityservice import emails
from identityservice.errors import InvalidArgument


def test_an_address_is_trimmed_and_its_domain_lower_cased():
    assert emails.normalize("  Ada.Lovelace@EXAMPLE.Com ") == "Ada.Lovelace@example.com"


def test_an_internationalized_domain_is_normalized():
    assert emails.normalize("ada@BÜCHER.de") == "ada@bücher.de"


def test_the_key_ignores_case():
    assert emails.key(emails.normalize("Ada@Example.com")) == emails.key(emails.normalize("ADA@example.COM"))


@pytest.mark.parametrize("raw, reason", [
    ("", "is required"),
    ("   ", "is required"),
    ("ada", "not a valid email address"),
    ("ada@", "not a valid email address"),
    ("ada@example", "not a valid email address"),
    ("a b@example.com", "not a valid email address"),
    ("ada@@example.com", "not a valid email address"),
    ("x" * 250 + "@example.com", "at most 254 characters"),
    ("admin@shop.local", "not a valid email address"),
])
def test_malformed_addresses_are_refused_naming_the_field(raw, reason):
    with pytest.raises(InvalidArgument, match=reason) as caught:
        emails.normalize(raw)
    assert caught.value.field == "email"


def test_the_field_name_can_be_chosen():
    with pytest.raises(InvalidArgument) as caught:
        emails.normalize("nope", field="ADMIN_EMAIL")
    assert caught.value.field == "ADMIN_EMAIL" and str(caught.value).startswith("ADMIN_EMAIL")


@pytest.mark.parametrize("raw, normalized", [
    ("admin@shop.local", "admin@shop.local"),
    ("Admin@Shop.TEST", "Admin@shop.test"),
    ("ada@example.com", "ada@example.com"),
])
def test_special_use_domains_are_allowed_where_asked_for(raw, normalized):
    assert emails.normalize_allowing_special_use(raw) == normalized


@pytest.mark.parametrize("raw", ["a b@shop.local", "ada@sh_op.local", "ada", "ada@example"])
def test_allowing_special_use_domains_still_checks_the_rest(raw):
    with pytest.raises(InvalidArgument):
        emails.normalize_allowing_special_use(raw)


def test_the_local_part_is_what_precedes_the_last_at():
    assert emails.local_part("ada.lovelace@example.com") == "ada.lovelace"
