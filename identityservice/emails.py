"""Email addresses: syntax checked and normalized by email-validator (no DNS lookups), and
the case-insensitive key under which an address is unique and its sign-in failures are
counted. Pure.

A customer's address must be one the public internet could deliver to. The configured
first admin's may also be on a special-use domain (RFC 6761: `.local`, `.test`, ...),
as a development stack's `admin@shop.local` is; sign-in accepts those too, so that admin
can sign in."""
from __future__ import annotations

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from identityservice.errors import InvalidArgument

MAX_LENGTH = 254
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def normalize(raw: str, field: str = "email") -> str:
    """The address as stored: trimmed, its domain lower-cased and IDNA-normalized, its
    local part kept as typed (Unicode NFC). InvalidArgument naming `field` otherwise."""
    address = raw.strip()
    if not address:
        raise InvalidArgument(field, f"{field} is required")
    if len(address) > MAX_LENGTH:
        raise InvalidArgument(field, f"{field} must be at most {MAX_LENGTH} characters")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidArgument(field, f"{field} is not a valid email address: {exc}") from None
    return checked.normalized


def is_special_use(domain: str) -> bool:
    domain = domain.lower()
    return any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES)


def normalize_allowing_special_use(raw: str, field: str = "email") -> str:
    """As normalize, but an address on a special-use domain (plain ASCII labels) passes,
    its local part checked as any other's."""
    try:
        return normalize(raw, field)
    except InvalidArgument:
        local, at, domain = raw.strip().rpartition("@")
        domain = domain.lower()
        if not (at and is_special_use(domain) and _DOMAIN.match(domain)):
            raise
    checked_local = local_part(normalize(f"{local}@example.com", field))
    return f"{checked_local}@{domain}"


def local_part(address: str) -> str:
    """What comes before the last "@" of a normalized address."""
    return address.rpartition("@")[0]


def key(address: str) -> str:
    """The case-insensitive identity of a normalized address."""
    return address.lower()
