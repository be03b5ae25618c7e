"""Tracking ids shaped like UPU S10 postal item ids, e.g. RA473124829GB: a two-letter
service indicator, an eight-digit serial, a check digit, and the issuing country.
Pure: randomness comes from the rng handed in."""
from __future__ import annotations

import random
import re
import string

from shippingservice.errors import InvalidArgument

# S10's weights for the serial's eight digits.
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_TRACKING_ID = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


def s10_check_digit(serial: str) -> int:
    """11 minus the weighted sum mod 11, where 10 becomes 0 and 11 becomes 5."""
    if not re.fullmatch(r"\d{8}", serial):
        raise ValueError(f"an S10 serial is eight digits, got {serial!r}")
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, WEIGHTS)) % 11
    return {10: 0, 11: 5}.get(check, check)


def build_tracking_id(service: str, serial: str, country: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", service) or not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError("the service indicator and the country are two uppercase letters each")
    return f"{service}{serial}{s10_check_digit(serial)}{country}"


def new_tracking_id(service_letter: str, country: str, rng: random.Random) -> str:
    """A random id for a carrier whose ids start with service_letter, issued in country."""
    serial = "".join(rng.choice(string.digits) for _ in range(8))
    return build_tracking_id(service_letter + rng.choice(string.ascii_uppercase), serial, country)


def is_valid_tracking_id(tracking_id: str) -> bool:
    match = _TRACKING_ID.match(tracking_id)
    return bool(match) and s10_check_digit(match.group(2)) == int(match.group(3))


def check_tracking_id(tracking_id: str) -> str:
    """The id as stored (spaces removed, upper-cased), or InvalidArgument saying why it
    cannot be one of ours."""
    normalized = "".join(tracking_id.split()).upper()
    if not normalized:
        raise InvalidArgument("tracking_id is required")
    if not _TRACKING_ID.match(normalized):
        raise InvalidArgument(
            f"tracking_id must look like RA473124829GB (2 letters, 9 digits, 2 letters), got {tracking_id!r}"
        )
    if not is_valid_tracking_id(normalized):
        raise InvalidArgument(f"tracking_id {normalized} has a wrong check digit: please check it for typos")
    return normalized
