"""The catalog as its reads see it: every live product and category held in memory, in the
order PostgreSQL lists them, each product with its reply message built once. Reads are
answered from here; live_catalog.py keeps it current. Pure: no I/O.

The order of products (by name, then id) is PostgreSQL's, under the database's collation,
so it is taken from the database and never re-derived here: a change that could move a
product (a new product, a new name) asks for a full reload instead (`apply` says so)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from service_runtime.paging import Paging

from catalogservice.errors import CategoryNotFound, ProductNotFound
from catalogservice.products import Category, Product


@dataclass(frozen=True)
class Entry:
    product: Product
    message: Any  # the product as replies carry it (a catalog_pb2.Product), built once


class CatalogView:
    def __init__(self, categories: Iterable[tuple[str, str]], products: Iterable[Product],
                 render: Callable[[Product], Any]):
        """categories: (slug, name) in the order they are listed; products: every live
        product in listing order; render: a product's reply message."""
        self._render = render
        self._category_names = dict(categories)
        self._entries = {p.id: Entry(p, render(p)) for p in products}
        self._order = list(self._entries)
        self._by_category: dict[str, list[str]] | None = None

    def apply(self, changed: Mapping[str, Product | None]) -> bool:
        """Take in these products as they are now (None: deleted or gone). False, with
        nothing changed, when one is new or renamed: its place needs a full reload."""
        for product_id, product in changed.items():
            current = self._entries.get(product_id)
            if product is not None and (current is None or current.product.name != product.name):
                return False
        for product_id, product in changed.items():
            if product is None:
                if self._entries.pop(product_id, None) is not None:
                    self._order.remove(product_id)
            else:
                self._entries[product_id] = Entry(product, self._render(product))
        self._by_category = None
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, ids: list[str]) -> list[Entry]:
        """The live products with these ids, in the order asked; ProductNotFound names the
        first that is missing or deleted."""
        entries = self._entries
        for product_id in ids:
            if product_id not in entries:
                raise ProductNotFound(product_id)
        return [entries[i] for i in ids]

    def present(self, ids: list[str]) -> list[Entry]:
        """The live products among these ids; the others left out."""
        return [self._entries[i] for i in dict.fromkeys(ids) if i in self._entries]

    def listing(self, paging: Paging, category: str = "") -> tuple[list[Entry], int]:
        """One page of live products (of a category, when given) and how many there are."""
        if category:
            if category not in self._category_names:
                raise CategoryNotFound(category)
            ids = self._members().get(category, [])
        else:
            ids = self._order
        page = ids[paging.offset:paging.offset + paging.limit]
        return [self._entries[i] for i in page], len(ids)

    def related(self, product_id: str, limit: int) -> list[Entry]:
        """Other live products, those sharing the most categories with product_id first,
        then in listing order."""
        [mine] = self.get([product_id])
        shared = set(mine.product.categories)
        others = [(-len(shared.intersection(self._entries[i].product.categories)), rank, i)
                  for rank, i in enumerate(self._order) if i != product_id]
        others.sort()
        return [self._entries[i] for _, _, i in others[:limit]]

    def categories(self) -> list[Category]:
        members = self._members()
        return [Category(slug, name, len(members.get(slug, ()))) for slug, name in self._category_names.items()]

    def _members(self) -> dict[str, list[str]]:
        """Each category's live products, in listing order (made again after a change)."""
        if self._by_category is None:
            members: dict[str, list[str]] = {}
            for product_id in self._order:
                for slug in self._entries[product_id].product.categories:
                    members.setdefault(slug, []).append(product_id)
            self._by_category = members
        return self._by_category
