"""The back office's product form, apart from I/O: what the admin typed, checked the way a
person reads it ("Price is an amount like 12.50"), and the catalog message it becomes. The
catalog checks everything again and has the last word. Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from shop.catalog.v1 import catalog_pb2

from frontend.money import format_amount

_PRICE = re.compile(r"\d{1,7}(\.\d{1,2})?")
_STOCK = re.compile(r"\d{1,7}")
_DELTA = re.compile(r"[+-]?\d{1,7}")
# The fields the edit form holds, as the catalog's update mask names them.
EDITABLE = ("name", "description", "price", "categories")


@dataclass
class ProductForm:
    id: str = ""
    name: str = ""
    description: str = ""
    price: str = ""
    currency: str = "USD"
    categories: list[str] = field(default_factory=list)
    stock: str = "0"
    image_url: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_product(cls, product: catalog_pb2.Product) -> "ProductForm":
        amount = Decimal(product.price.units) + Decimal(product.price.nanos).scaleb(-9)
        return cls(id=product.id, name=product.name, description=product.description,
                   price=f"{amount:.2f}", currency=product.price.currency_code or "USD",
                   categories=list(product.categories), stock=str(product.stock), image_url=product.image_url)

    @classmethod
    def from_form(cls, form, *, currency: str = "USD", image_url: str = "") -> "ProductForm":
        """What was typed (a MultiDict), checked; `errors` says what to fix, by field."""
        typed = cls(id=form.get("id", "").strip().lower(), name=form.get("name", "").strip(),
                    description=form.get("description", "").strip(), price=form.get("price", "").strip(),
                    currency=currency, categories=sorted(set(form.getlist("categories"))),
                    stock=form.get("stock", "0").strip() or "0", image_url=image_url)
        if not typed.name:
            typed.errors["name"] = "Give the product a name."
        if not _PRICE.fullmatch(typed.price) or Decimal(typed.price) <= 0:
            typed.errors["price"] = "Price is an amount more than 0, like 12.50."
        if not typed.categories:
            typed.errors["categories"] = "Choose at least one category."
        if not _STOCK.fullmatch(typed.stock):
            typed.errors["stock"] = "Stock is a whole number of units, 0 or more."
        return typed

    def money(self) -> dict:
        amount = Decimal(self.price)
        units = int(amount)
        return {"currency_code": self.currency, "units": units, "nanos": int((amount - units) * 1_000_000_000)}

    def new_product(self) -> catalog_pb2.Product:
        return catalog_pb2.Product(id=self.id, name=self.name, description=self.description, price=self.money(),
                                   categories=self.categories, stock=int(self.stock), image_url=self.image_url)

    def changes(self, product_id: str) -> tuple[catalog_pb2.Product, list[str]]:
        """The product message and update mask of an edit (the image only when a new one came)."""
        paths = list(EDITABLE) + (["image_url"] if self.image_url else [])
        return catalog_pb2.Product(id=product_id, name=self.name, description=self.description, price=self.money(),
                                   categories=self.categories, image_url=self.image_url), paths

    def price_text(self) -> str:
        return format_amount(self.currency, Decimal(self.price)) if _PRICE.fullmatch(self.price) else self.price


def stock_delta(typed: str) -> int:
    """"+5", "-2", "12": the units of a stock adjustment. ValueError when it is not one."""
    text = typed.strip()
    if not _DELTA.fullmatch(text) or int(text) == 0:
        raise ValueError("Give a number of units to add (12 or +12) or take off (-3), not 0.")
    return int(text)
