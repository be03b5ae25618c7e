"""The recommender: learns from orders, and answers queries by ranking what the sales say
and checking every suggestion with the catalog. Storage (repository.py) and the catalog
(clients.py) are handed in; the clock too."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable, Protocol

from recommendationservice import ranking
from recommendationservice.purchases import Purchase, Sale
from recommendationservice.query import Query
from recommendationservice.ranking import CatalogProduct, Recommendation, Signals


class SalesStore(Protocol):
    async def signals(self, seeds: tuple[str, ...], user_id: str, *, sold_since: date, bought_since: datetime,
                      size: int) -> Signals:
        """Up to `size` products bought together with the seeds and up to `size` best
        sellers since `sold_since` (neither a seed nor one the user bought since
        `bought_since`), and what the user bought since then."""

    async def record_sale(self, sale: Sale, handled_event: tuple[str, str]) -> bool:
        """Count the sale, in one step with the event that caused it; False when this
        event, or another about the same order, was counted already."""

    async def record_purchase(self, purchase: Purchase, handled_event: tuple[str, str]) -> bool:
        """Note what the shopper bought, in one step with the event; False for an event
        handled already."""


class Catalog(Protocol):
    async def products(self, ids: list[str]) -> dict[str, CatalogProduct]:
        """The products the catalog has among these ids (deleted and unknown ones are
        left out). DependencyUnavailable when it cannot be asked."""

    async def in_category(self, category: str, count: int) -> list[CatalogProduct]:
        """Up to `count` products of the category, in the catalog's order; [] for a
        category it does not know."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Recommender:
    """popular_days: how many days of sales make a best seller (today included);
    bought_lately_days: how long a shopper's own order keeps its products out of their
    suggestions."""

    def __init__(self, store: SalesStore, catalog: Catalog, *, popular_days: int, bought_lately_days: int,
                 clock: Callable[[], datetime] = utc_now):
        self._store = store
        self._catalog = catalog
        self._popular_days = popular_days
        self._bought_lately = timedelta(days=bought_lately_days)
        self._clock = clock

    async def recommend(self, query: Query) -> list[Recommendation]:
        now = self._clock()
        size = ranking.shortlist_size(query.limit)
        signals = await self._store.signals(
            query.seeds, query.user_id, sold_since=now.date() - timedelta(days=self._popular_days - 1),
            bought_since=now - self._bought_lately, size=size)
        excluding = ranking.excluded(query.seeds, signals)
        candidates = ranking.shortlist(signals, excluding, size)
        known = await self._catalog.products(list(dict.fromkeys([*query.seeds, *(c.product_id for c in candidates)])))
        chosen = ranking.pick(candidates, known, query.limit)
        if len(chosen) < query.limit:
            categories = ranking.seed_categories(query.seeds, known)
            listings = await asyncio.gather(*(self._catalog.in_category(c, size) for c in categories))
            chosen += ranking.same_category(_chained(listings), categories, excluding, chosen, signals,
                                            query.limit - len(chosen))
        return chosen

    async def learn_sale(self, sale: Sale, handled_event: tuple[str, str]) -> bool:
        return await self._store.record_sale(sale, handled_event)

    async def note_purchase(self, purchase: Purchase, handled_event: tuple[str, str]) -> bool:
        return await self._store.record_purchase(purchase, handled_event)


def _chained(listings: Iterable[list[CatalogProduct]]) -> list[CatalogProduct]:
    """The categories' listings one after another, the first category's first."""
    return [product for listing in listings for product in listing]
