from datetime import date, datetime, timedelta, timezone

import pytest

from recommendationservice.errors import InvalidEvent
from recommendationservice.purchases import MAX_PAIRED_PRODUCTS, bought_together, purchase_of, sale_of

PLACED = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC on March 2nd


def test_a_sale_counts_every_unit_of_each_product_once_on_the_utc_day_it_was_placed():
    sale = sale_of("o-1", PLACED, [("mug", 2), ("teapot", 1), ("mug", 3)])
    assert sale.day == date(2026, 3, 2)
    assert sale.units == (("mug", 5), ("teapot", 1))
    assert sale.products == ("mug", "teapot")


def test_every_pair_of_distinct_products_is_bought_together_both_ways():
    sale = sale_of("o-1", PLACED, [("teapot", 1), ("mug", 2), ("cups", 4)])
    assert bought_together(sale) == [("cups", "mug"), ("cups", "teapot"), ("mug", "cups"), ("mug", "teapot"),
                                     ("teapot", "cups"), ("teapot", "mug")]


def test_an_order_of_one_product_pairs_nothing():
    assert bought_together(sale_of("o-1", PLACED, [("mug", 3)])) == []


def test_a_huge_order_pairs_only_its_biggest_lines():
    lines = [(f"p{n:03}", 1) for n in range(MAX_PAIRED_PRODUCTS + 10)] + [("zz-big", 9)]
    pairs = bought_together(sale_of("o-1", PLACED, lines))
    paired = {a for a, _ in pairs}
    assert len(paired) == MAX_PAIRED_PRODUCTS and "zz-big" in paired
    assert len(pairs) == MAX_PAIRED_PRODUCTS * (MAX_PAIRED_PRODUCTS - 1)


@pytest.mark.parametrize("order_id, lines, message", [
    ("", [("mug", 1)], "no id"),
    ("o-1", [], "no lines"),
    ("o-1", [("", 1)], "without a product"),
    ("o-1", [("mug", 0)], "with 0 units"),
])
def test_an_order_that_cannot_be_counted_says_why(order_id, lines, message):
    with pytest.raises(InvalidEvent, match=message):
        sale_of(order_id, PLACED, lines)


def test_a_placed_order_notes_what_its_shopper_bought():
    purchase = purchase_of("o-1", "guest:abc", PLACED, [("teapot", 1), ("mug", 2)])
    assert (purchase.user_id, purchase.product_ids, purchase.at) == ("guest:abc", ("mug", "teapot"), PLACED)


def test_an_order_without_a_shopper_notes_nothing():
    assert purchase_of("o-1", "", PLACED, [("mug", 1)]) is None
