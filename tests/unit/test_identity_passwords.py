"""The password rule: 10..128 characters, 5 distinct, not containing the email's local
part (3+ characters), not the email itself, not a common password."""
import pytest

from identityservice import passwords
from identityservice.errors import InvalidArgument

EMAIL = "Ada.Lovelace@example.com"


@pytest.mark.parametrize("password", [
    "a-long-Passphrase-42",
    "abcde" * 2,                   # exactly 10 characters, exactly 5 distinct
    "x" * 123 + "abcde",           # exactly 128
    "bergamot tea at noon",
])
def test_passwords_that_follow_the_rule_pass(password):
    assert passwords.problem(password, EMAIL) is None
    passwords.check(password, EMAIL)


@pytest.mark.parametrize("password, problem", [
    ("abcde1234", "is too short"),
    ("x" * 124 + "abcde", "is too long"),
    ("abababababab", "repeats too few characters"),
    ("aaaabbbbccccdddd", "repeats too few characters"),
    ("my-ada.lovelace-pw", "contains your email address"),
    ("XXADA.LOVELACEXX", "contains your email address"),
    ("ada.lovelace@example.com", "is your email address"),
    ("Password123", "is a common password"),
    ("qwertyuiop", "is a common password"),
])
def test_passwords_that_break_the_rule_say_how(password, problem):
    assert passwords.problem(password, EMAIL) == problem


def test_a_short_local_part_is_not_looked_for():
    assert passwords.problem("al-pine-sunrise", "al@example.com") is None
    assert passwords.problem("xx-bob-the-builder", "bob@example.com") == "contains your email address"


def test_the_email_itself_is_refused_even_with_a_short_local_part():
    assert passwords.problem("AB@example.com", "ab@example.com") == "is your email address"


def test_length_counts_characters_not_bytes():
    assert passwords.problem("ééééé" + "abcde", EMAIL) is None


def test_a_refusal_names_the_field_and_states_the_whole_rule():
    with pytest.raises(InvalidArgument) as caught:
        passwords.check("short", EMAIL, field="new_password")
    assert caught.value.field == "new_password"
    message = str(caught.value)
    assert message.startswith("new_password is too short")
    for part in ("10 to 128 characters", "at least 5 different characters", "before the @", "common password"):
        assert part in message


def test_a_missing_password_is_required():
    with pytest.raises(InvalidArgument, match="password is required") as caught:
        passwords.check("", EMAIL)
    assert caught.value.field == "password"


def test_the_refusal_never_echoes_the_password():
    with pytest.raises(InvalidArgument) as caught:
        passwords.check("ada.lovelace-secret", EMAIL)
    assert "secret" not in str(caught.value)
