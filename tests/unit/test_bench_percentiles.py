"""The percentiles `make bench` prints: interpolated between the nearest two values, the
single value when only one was measured, NaN when none was."""
from __future__ import annotations

import math

import pytest

from bench.percentiles import percentile


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5


def test_the_99th_of_a_hundred_values_lies_between_the_last_two():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 99) == pytest.approx(99.01)


def test_one_value_is_every_percentile_and_none_is_nan():
    assert percentile([7.5], 99) == 7.5
    assert math.isnan(percentile([], 50))


def test_a_percentile_outside_1_to_99_is_refused():
    with pytest.raises(ValueError):
        percentile([1.0, 2.0], 100)
