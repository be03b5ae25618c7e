import random

import pytest

from shippingservice.errors import InvalidArgument
from shippingservice.tracking_ids import (
    build_tracking_id, check_tracking_id, is_valid_tracking_id, new_tracking_id, s10_check_digit,
)


@pytest.mark.parametrize(
    "serial, check",
    [
        ("47312482", 9),  # RA473124829GB: 4*8+7*6+3*4+1*2+2*3+4*5+8*9+2*7 = 200; 200 % 11 = 2; 11 - 2 = 9
        ("12345678", 5),  # EE123456785US, UPU's own example: 204 % 11 = 6; 11 - 6 = 5
        ("00000015", 5),  # 1*9+5*7 = 44; 44 % 11 = 0; 11 becomes 5
        ("00000027", 0),  # 2*9+7*7 = 67; 67 % 11 = 1; 10 becomes 0
    ],
)
def test_the_s10_check_digit(serial, check):
    assert s10_check_digit(serial) == check


@pytest.mark.parametrize("serial", ["1234567", "123456789", "1234567a", ""])
def test_a_serial_is_eight_digits(serial):
    with pytest.raises(ValueError):
        s10_check_digit(serial)


def test_known_ids_are_valid_and_a_changed_digit_is_caught():
    assert build_tracking_id("RA", "47312482", "GB") == "RA473124829GB"
    assert is_valid_tracking_id("RA473124829GB") and is_valid_tracking_id("EE123456785US")
    assert not is_valid_tracking_id("RA473124828GB")  # wrong check digit
    assert not is_valid_tracking_id("RA473124289GB")  # two digits swapped
    assert not is_valid_tracking_id("ra473124829gb")


def test_new_ids_are_valid_start_with_the_carriers_letter_and_differ():
    rng = random.Random(42)
    ids = {new_tracking_id("C", "US", rng) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_valid_tracking_id(i) and i.startswith("C") and i.endswith("US") for i in ids)


def test_the_same_seed_gives_the_same_id():
    assert new_tracking_id("E", "US", random.Random(7)) == new_tracking_id("E", "US", random.Random(7))


def test_a_typed_id_is_tidied():
    assert check_tracking_id(" ra 473 124 829 gb ") == "RA473124829GB"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "tracking_id is required"),
        ("12345", "must look like RA473124829GB"),
        ("RA47312482GB", "must look like"),
        ("RA473124828GB", "wrong check digit"),
    ],
)
def test_a_malformed_id_says_why(typed, message):
    with pytest.raises(InvalidArgument, match=message):
        check_tracking_id(typed)
