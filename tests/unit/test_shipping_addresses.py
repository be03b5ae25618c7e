from dataclasses import replace

import pytest

from shippingservice.addresses import Address, validate_address
from shippingservice.errors import InvalidArgument

US = Address("Ada Lovelace", ("1 Market St", "Suite 200"), "San Francisco", "CA", "94105", "US")
DE = Address("Erika Mustermann", ("Heidestraße 17",), "Köln", "", "51147", "DE")


def test_a_good_address_comes_back_tidied():
    messy = replace(US, name="  Ada   Lovelace ", region="ca", postal_code=" 94105-1234 ")
    assert validate_address(messy) == replace(US, postal_code="94105-1234")
    assert validate_address(replace(DE, region="NRW")).region == "NRW"  # optional where not needed
    assert validate_address(Address("A B", ("1 Rd",), "London", "", "sw1a 1aa", "GB")).postal_code == "SW1A 1AA"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"country_code": ""}, "address.country_code is required"),
        ({"country_code": "usa"}, "address.country_code must be two uppercase letters"),
        ({"country_code": "de"}, "address.country_code must be two uppercase letters"),
        ({"country_code": "KP", "region": "", "postal_code": "1"}, "address.country_code: we do not ship to KP"),
        ({"name": ""}, "address.name is required"),
        ({"name": "   "}, "address.name is required"),
        ({"name": "x" * 101}, "address.name must be at most 100"),
        ({"address_lines": ()}, "address.address_lines must have 1 to 3 lines, got 0"),
        ({"address_lines": ("a", "b", "c", "d")}, "address.address_lines must have 1 to 3 lines, got 4"),
        ({"address_lines": ("1 Market St", " ")}, r"address.address_lines\[1\] is required"),
        ({"address_lines": ("y" * 101,)}, r"address.address_lines\[0\] must be at most 100"),
        ({"city": ""}, "address.city is required"),
        ({"city": "c" * 101}, "address.city must be at most 100"),
        ({"region": ""}, "address.region is required for US addresses"),
        ({"region": "Kalifornia"}, "address.region must be a US state or territory code"),
        ({"region": "r" * 101}, "address.region must be at most 100"),
        ({"postal_code": ""}, "address.postal_code is required"),
        ({"postal_code": "9410"}, "address.postal_code '9410' is not a US postal code; expected e.g. 12345 or 12345-6789"),
        ({"postal_code": "94105-12"}, "address.postal_code .* is not a US postal code"),
        ({"postal_code": "1" * 21}, "address.postal_code must be at most 20"),
    ],
)
def test_each_broken_rule_names_its_field(changes, message):
    with pytest.raises(InvalidArgument, match=message):
        validate_address(replace(US, **changes))


def test_a_missing_address_is_named():
    with pytest.raises(InvalidArgument, match="^address is required$"):
        validate_address(None)


@pytest.mark.parametrize(
    "country, region, good, bad",
    [
        ("CA", "ON", "K1A 0B1", "K1A0B"),
        ("AU", "NSW", "2000", "200"),
        ("GB", "", "EC1A 1BB", "EC1A"),
        ("NL", "", "1012 AB", "1012"),
        ("JP", "", "100-0001", "1000"),
        ("DE", "", "10115", "1011"),
    ],
)
def test_postal_codes_follow_the_countrys_format(country, region, good, bad):
    address = Address("A B", ("1 Road",), "City", region, good, country)
    assert validate_address(address).postal_code == good
    with pytest.raises(InvalidArgument, match=f"is not a {country} postal code"):
        validate_address(replace(address, postal_code=bad))


@pytest.mark.parametrize("country", ["CA", "AU"])
def test_canada_and_australia_need_a_region_too(country):
    with pytest.raises(InvalidArgument, match=f"address.region is required for {country} addresses"):
        validate_address(Address("A B", ("1 Road",), "City", "", "K1A 0B1", country))


def test_a_country_without_a_known_format_gets_the_generic_check():
    malta = Address("A B", ("1 Road",), "Valletta", "", "VLT 1117", "MT")
    assert validate_address(malta).postal_code == "VLT 1117"
    with pytest.raises(InvalidArgument, match="address.postal_code may contain only letters, digits"):
        validate_address(replace(malta, postal_code="VLT#1117"))
