"""Which products to suggest, and in what order. Pure: the sales' signals and the
catalog's answers come in as values.

1. Bought together: products that shared orders with the given ones, the most shared
   orders first (summed over the given products), best sellers first among equals.
2. Popular: the best sellers of the window, most units first.
3. Same category: products sharing a category with the given ones, those sharing the
   most first, then best sellers, then in the catalog's order. This is the last resort,
   for a shop (or a product) with too few sales to say anything.

Never a given product, one the shopper bought lately, one the catalog no longer has, or
one out of stock; never the same product twice."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable, Mapping

# How many of the given products' categories the last resort looks into.
MAX_CATEGORIES = 3


class Reason(enum.Enum):
    BOUGHT_TOGETHER = "bought together"
    POPULAR = "popular"
    SAME_CATEGORY = "same category"


@dataclass(frozen=True)
class Signals:
    """What the sales say about a query."""

    # Other product -> orders it shared with the given products (summed over them).
    bought_together: Mapping[str, int]
    # (product, units sold in the window), most units first.
    best_sellers: tuple[tuple[str, int], ...]
    # What the shopper ordered lately.
    bought_lately: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CatalogProduct:
    """A product as the catalog has it now."""

    id: str
    categories: tuple[str, ...]
    stock: int
    # The catalog's own record of it, handed back to the caller untouched.
    record: object = field(default=None, compare=False, repr=False)

    @property
    def sellable(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class Candidate:
    product_id: str
    reason: Reason


@dataclass(frozen=True)
class Recommendation:
    product: CatalogProduct
    reason: Reason


def shortlist_size(limit: int) -> int:
    """How many candidates to look up for `limit` suggestions: some may be sold out."""
    return max(3 * limit, 12)


def excluded(seeds: Iterable[str], signals: Signals) -> frozenset[str]:
    return frozenset(seeds) | signals.bought_lately


def shortlist(signals: Signals, excluding: frozenset[str], size: int) -> list[Candidate]:
    """Bought-together candidates, then best sellers, at most `size`, before the catalog
    has had its say."""
    units = dict(signals.best_sellers)
    together = sorted((p for p in signals.bought_together if p not in excluding),
                      key=lambda p: (-signals.bought_together[p], -units.get(p, 0), p))
    candidates = [Candidate(p, Reason.BOUGHT_TOGETHER) for p in together]
    taken = set(together)
    candidates += [Candidate(p, Reason.POPULAR) for p, _ in signals.best_sellers
                   if p not in excluding and p not in taken]
    return candidates[:size]


def pick(candidates: Iterable[Candidate], catalog: Mapping[str, CatalogProduct], limit: int) -> list[Recommendation]:
    """The first `limit` candidates the catalog has and can sell, in order."""
    chosen: list[Recommendation] = []
    for candidate in candidates:
        product = catalog.get(candidate.product_id)
        if product is not None and product.sellable and len(chosen) < limit:
            chosen.append(Recommendation(product, candidate.reason))
    return chosen


def seed_categories(seeds: Iterable[str], catalog: Mapping[str, CatalogProduct],
                    maximum: int = MAX_CATEGORIES) -> list[str]:
    """The given products' categories (of those the catalog has), the ones most of them
    share first, then in the order they were given; at most `maximum`."""
    counts: dict[str, int] = {}
    for seed in seeds:
        product = catalog.get(seed)
        for category in dict.fromkeys(product.categories if product else ()):
            counts[category] = counts.get(category, 0) + 1
    order = list(counts)
    return sorted(counts, key=lambda c: (-counts[c], order.index(c)))[:maximum]


def same_category(listed: Iterable[CatalogProduct], categories: list[str], excluding: frozenset[str],
                  chosen: Iterable[Recommendation], signals: Signals, limit: int) -> list[Recommendation]:
    """Up to `limit` sellable products from the categories' listings that share a
    category with the given products and are not excluded or chosen already."""
    wanted = set(categories)
    units = dict(signals.best_sellers)
    taken = set(excluding) | {r.product.id for r in chosen}
    ranked: dict[str, tuple[tuple[int, int, int], CatalogProduct]] = {}
    for position, product in enumerate(listed):
        shared = len(wanted.intersection(product.categories))
        if product.id in taken or product.id in ranked or not shared or not product.sellable:
            continue
        ranked[product.id] = ((-shared, -units.get(product.id, 0), position), product)
    best = sorted(ranked.values(), key=lambda entry: entry[0])[:max(limit, 0)]
    return [Recommendation(product, Reason.SAME_CATEGORY) for _, product in best]
