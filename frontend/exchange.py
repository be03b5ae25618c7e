"""Prices converted to a visitor's currency, kept by each website process for a minute.

The catalog converts (CurrencyService.ConvertMany, as checkout converts), and its rates
change only when it starts with another rates file, so the same price in the same currency
converts the same way call after call. In a 300-shopper run the pages asked for a
conversion on nearly every page view, for a few dozen distinct prices: one gRPC call in
seven the website made (docs/performance.md). Each process now asks for a (price, currency)
pair at most once a minute. What it keeps is only the conversion: the price itself still
comes from the catalog with every page, so an admin's new price shows at once; a new rates
file shows within MAX_AGE_SECONDS. A failed conversion is never kept."""
from __future__ import annotations

import threading
import time
import weakref
from typing import Callable, Sequence

from cachetools import TTLCache

from shop.catalog.v1 import currency_pb2

MAX_AGE_SECONDS = 60.0
# A bound on what one process keeps (the shop's distinct prices times its currencies are far
# fewer); past it, the least recently used go first.
MAX_ENTRIES = 20_000


def _key(money, currency: str) -> tuple[str, int, int, str]:
    return money.currency_code, money.units, money.nanos, currency


class Conversions:
    """What one catalog client converted, each kept MAX_AGE_SECONDS."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._kept = TTLCache(MAX_ENTRIES, MAX_AGE_SECONDS, timer=clock)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe; gunicorn's threads share this

    def convert(self, catalog, amounts: Sequence, currency: str) -> list:
        """Each amount in `currency`, in order, asking the catalog (one ConvertMany call)
        only for those not converted within MAX_AGE_SECONDS. The catalog's errors pass
        through unchanged."""
        keys = [_key(money, currency) for money in amounts]
        with self._lock:
            found = {key: self._kept[key] for key in keys if key in self._kept}
        missing = list({key: money for key, money in zip(keys, amounts) if key not in found}.values())
        if missing:
            reply = catalog.ConvertMany(currency_pb2.ConvertManyRequest(amounts=missing, to_currency_code=currency))
            asked = {_key(money, currency): converted for money, converted in zip(missing, reply.amounts)}
            found.update(asked)
            with self._lock:
                self._kept.update(asked)
        return [found[key] for key in keys]


_by_catalog: "weakref.WeakKeyDictionary[object, Conversions]" = weakref.WeakKeyDictionary()
_by_catalog_lock = threading.Lock()


def converted(catalog, amounts: Sequence, currency: str) -> list:
    """`amounts` in `currency` through this catalog client's kept conversions."""
    with _by_catalog_lock:
        conversions = _by_catalog.get(catalog)
        if conversions is None:
            conversions = _by_catalog[catalog] = Conversions()
    return conversions.convert(catalog, amounts, currency)
