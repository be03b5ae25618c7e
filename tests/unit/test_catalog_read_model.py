"""The catalog's in-memory read model: listing order, pages, categories, related products
and how a change is taken in. Pure."""
from dataclasses import replace
from decimal import Decimal

import pytest

from catalogservice.errors import CategoryNotFound, ProductNotFound
from catalogservice.products import Product
from catalogservice.read_model import CatalogView
from service_runtime.paging import Paging

CATEGORIES = [("kitchen", "Kitchen"), ("home", "Home"), ("outdoors", "Outdoors")]


def product(pid: str, name: str, *categories: str, stock: int = 5) -> Product:
    return Product(id=pid, name=name, description="", image_url="", price=Decimal("9.99"), currency="USD",
                   categories=tuple(categories), stock=stock)


# In the database's order (by name, then id), as load_all gives them.
PRODUCTS = [product("bowl", "Bowl", "kitchen"), product("lamp", "Lamp", "home"),
            product("mug", "Mug", "home", "kitchen"), product("tent", "Tent", "outdoors")]


@pytest.fixture
def view():
    renders = []
    v = CatalogView(CATEGORIES, PRODUCTS, lambda p: renders.append(p.id) or ("msg", p.id, p.stock))
    v.renders = renders
    return v


def ids(entries):
    return [e.product.id for e in entries]


def test_the_listing_keeps_the_database_order_and_pages_through_it(view):
    assert ids(view.listing(Paging(limit=2))[0]) == ["bowl", "lamp"]
    page, total = view.listing(Paging(limit=2, offset=2))
    assert ids(page) == ["mug", "tent"] and total == 4
    assert view.listing(Paging(limit=2, offset=8)) == ([], 4)


def test_a_category_lists_its_own_products_and_an_unknown_one_is_refused(view):
    page, total = view.listing(Paging(limit=10), "kitchen")
    assert ids(page) == ["bowl", "mug"] and total == 2
    assert view.listing(Paging(limit=10), "outdoors")[1] == 1
    with pytest.raises(CategoryNotFound):
        view.listing(Paging(limit=10), "garden")


def test_get_answers_in_the_order_asked_and_names_the_first_missing_id(view):
    assert ids(view.get(["tent", "bowl", "tent"])) == ["tent", "bowl", "tent"]
    with pytest.raises(ProductNotFound) as missing:
        view.get(["bowl", "nope", "gone"])
    assert missing.value.product_id == "nope"


def test_each_message_is_built_once_and_again_only_for_a_changed_product(view):
    assert sorted(view.renders) == ["bowl", "lamp", "mug", "tent"]
    assert view.get(["mug"])[0].message == ("msg", "mug", 5)
    assert view.apply({"mug": replace(PRODUCTS[2], stock=2)})
    assert view.renders[-1] == "mug" and len(view.renders) == 5
    assert view.get(["mug"])[0].message == ("msg", "mug", 2)


def test_categories_count_live_products_in_the_order_given(view):
    assert [(c.slug, c.product_count) for c in view.categories()] == [("kitchen", 2), ("home", 2), ("outdoors", 1)]
    assert view.apply({"tent": None, "mug": replace(PRODUCTS[2], categories=("home",))})
    assert [(c.slug, c.product_count) for c in view.categories()] == [("kitchen", 1), ("home", 2), ("outdoors", 0)]
    assert ids(view.listing(Paging(limit=10), "kitchen")[0]) == ["bowl"]


def test_a_deleted_product_leaves_every_answer(view):
    assert view.apply({"lamp": None, "never-there": None})
    assert ids(view.listing(Paging(limit=10))[0]) == ["bowl", "mug", "tent"]
    with pytest.raises(ProductNotFound):
        view.get(["lamp"])
    assert len(view) == 3


def test_a_new_or_renamed_product_asks_for_a_full_reload_and_changes_nothing(view):
    assert not view.apply({"vase": product("vase", "Vase", "home"), "bowl": replace(PRODUCTS[0], stock=1)})
    assert not view.apply({"lamp": replace(PRODUCTS[1], name="Desk Lamp")})
    assert view.get(["bowl"])[0].product.stock == 5 and view.get(["lamp"])[0].product.name == "Lamp"
    with pytest.raises(ProductNotFound):
        view.get(["vase"])


def test_related_products_share_the_most_categories_first_then_listing_order(view):
    assert ids(view.related("mug", 3)) == ["bowl", "lamp", "tent"]
    assert ids(view.related("bowl", 2)) == ["mug", "lamp"]
    assert ids(view.related("tent", 10)) == ["bowl", "lamp", "mug"]
    with pytest.raises(ProductNotFound):
        view.related("nope", 3)
