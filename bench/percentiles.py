"""Percentiles of measured latencies, the way every table of `make bench` reads them."""
from __future__ import annotations

import math
import statistics
from typing import Sequence


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1..99) of values, interpolated between the nearest two (the
    'inclusive' method: the 50th of an even count is the mean of the middle two); NaN
    when nothing was measured."""
    if not 1 <= q <= 99:
        raise ValueError(f"a percentile is 1..99, not {q}")
    if not values:
        return math.nan
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
