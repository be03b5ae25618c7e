"""The password rule, in one place (README.md states it; so does every refusal). Pure.

A password has 10 to 128 characters, at least 5 different characters, does not contain
the email address's local part (compared case-insensitively, when that part has 3 or more
characters), is not the email address itself, and is not one of a short list of
notoriously common passwords."""
from __future__ import annotations

from identityservice import emails
from identityservice.errors import InvalidArgument

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_DISTINCT = 5
# The local part must be this long before it is looked for: "al" in "alpine-sunrise"
# would refuse too much.
MIN_LOCAL_PART = 3

RULE = (f"{MIN_LENGTH} to {MAX_LENGTH} characters, at least {MIN_DISTINCT} different characters, "
        "not containing the part of your email address before the @, and not a common password")

# Common passwords long enough to pass the other checks (from public breach top lists).
COMMON = frozenset({
    "1234567890", "0123456789", "0987654321", "1234567891", "12345678910", "123456789a",
    "qwertyuiop", "1q2w3e4r5t", "1qaz2wsx3edc", "qwerty1234", "qwerty12345", "qwerty123456",
    "asdfghjkl1", "zxcvbnm123", "password12", "password123", "password1234",
    "passw0rd123", "iloveyou12", "iloveyou123", "letmein123", "welcome123", "changeme123",
    "administrator", "trustno1234", "football123", "baseball123", "superman123",
    "princess123", "sunshine123", "monkey12345", "dragon12345", "abcdefghij", "abcd123456",
})


def problem(password: str, email: str) -> str | None:
    """What is wrong with the password for this (normalized) email, or None."""
    if len(password) < MIN_LENGTH:
        return "is too short"
    if len(password) > MAX_LENGTH:
        return "is too long"
    if len(set(password)) < MIN_DISTINCT:
        return "repeats too few characters"
    folded = password.casefold()
    local = emails.local_part(email).casefold()
    if email and folded == email.casefold():
        return "is your email address"
    if len(local) >= MIN_LOCAL_PART and local in folded:
        return "contains your email address"
    if folded in COMMON:
        return "is a common password"
    return None


def check(password: str, email: str, field: str = "password") -> None:
    """InvalidArgument naming `field`, stating the whole rule, if the password breaks it."""
    if not password:
        raise InvalidArgument(field, f"{field} is required ({RULE})")
    found = problem(password, email)
    if found:
        raise InvalidArgument(field, f"{field} {found}: a password needs {RULE}")
