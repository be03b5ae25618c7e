import pytest

from catalogservice.errors import InvalidArgument
from catalogservice.stock import MAX_QUANTITY, check_order_id, reservation_lines


def test_lines_for_the_same_product_add_up_and_come_in_id_order():
    assert list(reservation_lines([("mug", 1), ("candle", 2), ("mug", 3)]).items()) == [("candle", 2), ("mug", 4)]


@pytest.mark.parametrize(
    "lines, message",
    [
        ([], "at least one line"),
        ([("mug", 0)], "between 1 and"),
        ([("mug", MAX_QUANTITY + 1)], "between 1 and"),
        ([("mug", MAX_QUANTITY), ("mug", 1)], "between 1 and"),
        ([("", 1)], "product_id"),
        ([(f"p{i}", 1) for i in range(101)], "at most 100 lines"),
    ],
)
def test_bad_reservations_are_refused(lines, message):
    with pytest.raises(InvalidArgument, match=message):
        reservation_lines(lines)


def test_an_order_id_is_required_and_bounded():
    with pytest.raises(InvalidArgument):
        check_order_id("")
    with pytest.raises(InvalidArgument):
        check_order_id("x" * 101)
