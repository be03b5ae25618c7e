from datetime import datetime, timedelta, timezone

import pytest

from cartservice import rules
from cartservice.errors import InvalidArgument

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("owner", ["guest:3f2a9c1e-7b1d-4c55-9a0e-1f2e3d4c5b6a", "0b8e6c5e-user", "x"])
def test_owner_ids_of_users_and_guests_are_accepted(owner):
    assert rules.check_owner_id(owner) == owner


@pytest.mark.parametrize("owner", ["", "a/b", "has space", "x" * 129])
def test_malformed_owner_ids_are_refused_naming_the_field(owner):
    with pytest.raises(InvalidArgument, match="owner_id"):
        rules.check_owner_id(owner)


@pytest.mark.parametrize("product_id", ["", "Mug", "mug mug", "-mug", "x" * 64])
def test_product_ids_must_look_like_catalog_ids(product_id):
    with pytest.raises(InvalidArgument, match="product_id"):
        rules.check_product_id(product_id)


def test_quantity_bounds_for_adding_and_for_setting():
    assert rules.check_added_quantity(99) == 99
    for bad in (0, 100, -1):
        with pytest.raises(InvalidArgument, match="between 1 and 99"):
            rules.check_added_quantity(bad)
    assert rules.check_new_quantity(0) == 0
    with pytest.raises(InvalidArgument, match="between 0"):
        rules.check_new_quantity(100)


def test_the_limit_messages_say_which_limit_and_by_how_much():
    assert "has 97, adding 5 would make 102" in str(rules.line_too_large("mug", 97, 5))
    assert "at most 50 different products" in str(rules.too_many_lines())


def test_the_stored_form_reads_back_sorted_with_its_expiry():
    cart = rules.cart_from_storage("o", {"mug": "2", "candle": "1"}, 5000, NOW)
    assert cart.items == (("candle", 1), ("mug", 2))
    assert cart.expires_at == NOW + timedelta(seconds=5)


def test_an_empty_cart_has_no_expiry():
    assert rules.cart_from_storage("o", {}, -2, NOW) == rules.Cart("o", (), None)
