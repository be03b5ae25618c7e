from dataclasses import replace
from decimal import Decimal

import pytest

from catalogservice import products
from catalogservice.errors import InvalidArgument

DRAFT = products.Product(
    id="", name="  Enamel Camp Mug ", description="Holds 350 ml.", image_url="",
    price=Decimal("12.50"), currency="USD", categories=("kitchen", "outdoors", "kitchen"), stock=5,
)


def test_a_new_product_gets_an_id_from_its_name_and_a_placeholder_image():
    product = products.new_product(DRAFT)
    assert product.id == "enamel-camp-mug"
    assert product.name == "Enamel Camp Mug"
    assert product.image_url == products.PLACEHOLDER_IMAGE
    assert product.categories == ("kitchen", "outdoors")


def test_slugs_drop_accents_and_punctuation():
    assert products.slugify("Café Table (Oak) — 2 seats") == "cafe-table-oak-2-seats"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"id": "Bad Id"}, "id must be"),
        ({"name": "   "}, "name is required"),
        ({"name": "Ω"}, "no id can be made from the name 'Ω'"),
        ({"name": "7 ★"}, "it needs two letters or digits"),
        ({"name": "x" * 121}, "at most 120"),
        ({"price": Decimal("0")}, "more than 0"),
        ({"price": Decimal("-3")}, "more than 0"),
        ({"price": Decimal("1.999")}, "whole number of cents"),
        ({"price": Decimal("1000000.01")}, "at most"),
        ({"currency": "EUR"}, "must be in USD"),
        ({"stock": -1}, "stock must be"),
        ({"categories": ()}, "at least one category"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"description": "d" * 4001}, "at most 4000"),
    ],
)
def test_invalid_products_are_refused_naming_the_rule(change, message):
    with pytest.raises(InvalidArgument, match=message):
        products.new_product(replace(DRAFT, **change))


def test_an_update_changes_only_the_fields_in_the_mask():
    current = products.new_product(DRAFT)
    changes = replace(DRAFT, name="Ignored", stock=99, price=Decimal("1"))
    updated = products.apply_update(current, changes, ["stock"])
    assert updated.stock == 99
    assert updated.name == current.name and updated.price == current.price


def test_an_update_mask_naming_an_unknown_or_read_only_field_is_refused():
    current = products.new_product(DRAFT)
    with pytest.raises(InvalidArgument, match="cannot update id"):
        products.apply_update(current, current, ["id"])
