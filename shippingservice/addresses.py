"""Postal addresses and the rules for one the shop can ship to. Pure: no I/O. Every
refusal names the field, e.g. "address.postal_code ...", so a form can point at it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from shippingservice.errors import InvalidArgument
from shippingservice.rates import zone_for

MAX_FIELD = 100
MAX_LINES = 3
MAX_POSTAL_CODE = 20

_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")

# Countries whose addresses need a region, and the codes they accept.
REGIONS: dict[str, frozenset[str]] = {
    "US": frozenset(
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM"
        " NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"  # states and DC
        " AS GU MP PR VI AA AE AP".split()  # territories and military post offices
    ),
    "CA": frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split()),
    "AU": frozenset("ACT NSW NT QLD SA TAS VIC WA".split()),
}
_REGION_KIND = {"US": "state or territory", "CA": "province or territory", "AU": "state or territory"}

# Postal code formats the service knows (after upper-casing), with an example each.
# Other supported countries get the generic check: letters, digits, spaces and '-'.
_FIVE_DIGITS = (r"\d{5}", "12345")
_FOUR_DIGITS = (r"\d{4}", "1234")
POSTAL_FORMATS: dict[str, tuple[str, str]] = {
    "US": (r"\d{5}(-\d{4})?", "12345 or 12345-6789"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "K1A 0B1"),
    "MX": _FIVE_DIGITS,
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", "D02 X285"),
    "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"),
    "PL": (r"\d{2}-\d{3}", "00-950"),
    "PT": (r"\d{4}-\d{3}", "1100-148"),
    "JP": (r"\d{3}-?\d{4}", "100-0001"),
    "BR": (r"\d{5}-?\d{3}", "01310-100"),
    "IL": (r"\d{7}", "6100000"),
    "RO": (r"\d{6}", "010011"),
    "IN": (r"\d{6}", "110001"),
    "SG": (r"\d{6}", "018956"),
    "IS": (r"\d{3}", "101"),
    **{code: (r"\d{3} ?\d{2}", "123 45") for code in ("CZ", "GR", "SE", "SK")},
    **{code: _FIVE_DIGITS for code in ("DE", "EE", "ES", "FI", "FR", "HR", "IT", "KR")},
    **{code: _FOUR_DIGITS for code in ("AT", "AU", "BE", "BG", "CH", "CY", "DK", "HU", "LI", "LU",
                                       "NO", "NZ", "SI", "ZA")},
}
_GENERIC_POSTAL_CODE = re.compile(r"^[A-Z0-9][A-Z0-9 -]*$")


@dataclass(frozen=True)
class Address:
    name: str
    address_lines: tuple[str, ...]
    city: str
    region: str
    postal_code: str
    country_code: str


def _text(value: str, field: str, *, required: bool = True) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise InvalidArgument(f"address.{field} is required")
    if len(value) > MAX_FIELD:
        raise InvalidArgument(f"address.{field} must be at most {MAX_FIELD} characters")
    return value


def _country_code(code: str) -> str:
    if not code:
        raise InvalidArgument("address.country_code is required (ISO 3166-1 alpha-2, e.g. DE)")
    if not _COUNTRY_CODE.match(code):
        raise InvalidArgument(
            f"address.country_code must be two uppercase letters (ISO 3166-1 alpha-2, e.g. DE), got {code!r}"
        )
    zone_for(code)  # refuses a country outside every zone
    return code


def _address_lines(lines: tuple[str, ...]) -> tuple[str, ...]:
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidArgument(f"address.address_lines must have 1 to {MAX_LINES} lines, got {len(lines)}")
    return tuple(_text(line, f"address_lines[{index}]") for index, line in enumerate(lines))


def _region(region: str, country: str) -> str:
    region = _text(region, "region", required=False)
    codes = REGIONS.get(country)
    if codes is None:
        return region
    kind = _REGION_KIND[country]
    if not region:
        raise InvalidArgument(f"address.region is required for {country} addresses (the {kind}, e.g. {min(codes)})")
    if region.upper() not in codes:
        raise InvalidArgument(f"address.region must be a {country} {kind} code, e.g. {min(codes)}; got {region!r}")
    return region.upper()


def _postal_code(postal_code: str, country: str) -> str:
    code = " ".join(postal_code.split()).upper()
    if not code:
        raise InvalidArgument("address.postal_code is required")
    if len(code) > MAX_POSTAL_CODE:
        raise InvalidArgument(f"address.postal_code must be at most {MAX_POSTAL_CODE} characters")
    known = POSTAL_FORMATS.get(country)
    if known is not None:
        pattern, example = known
        if not re.fullmatch(pattern, code):
            raise InvalidArgument(f"address.postal_code {code!r} is not a {country} postal code; expected e.g. {example}")
    elif not _GENERIC_POSTAL_CODE.match(code):
        raise InvalidArgument("address.postal_code may contain only letters, digits, spaces and '-'")
    return code


def validate_address(address: Address | None) -> Address:
    """The address as it may be stored (whitespace tidied, codes upper-cased), or
    InvalidArgument naming the first field that is wrong. The country comes first: the
    other rules depend on it."""
    if address is None:
        raise InvalidArgument("address is required")
    country = _country_code(address.country_code)
    return Address(
        name=_text(address.name, "name"),
        address_lines=_address_lines(address.address_lines),
        city=_text(address.city, "city"),
        region=_region(address.region, country),
        postal_code=_postal_code(address.postal_code, country),
        country_code=country,
    )
