"""The recommender over honest in-memory fakes of its store and the catalog."""
import asyncio
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from recommendationservice.purchases import bought_together, purchase_of, sale_of
from recommendationservice.query import parse_query
from recommendationservice.ranking import CatalogProduct, Reason, Signals
from recommendationservice.recommender import Recommender

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)
TOGETHER, POPULAR, CATEGORY = Reason.BOUGHT_TOGETHER, Reason.POPULAR, Reason.SAME_CATEGORY


class InMemorySales:
    """The repository's rules over lists: an event or an order counts once."""

    def __init__(self):
        self.events, self.orders = set(), set()
        self.pairs, self.sold = Counter(), Counter()
        self.bought = {}
        self.asked = []

    async def record_sale(self, sale, handled_event):
        if handled_event[0] in self.events or sale.order_id in self.orders:
            self.events.add(handled_event[0])
            return False
        self.events.add(handled_event[0])
        self.orders.add(sale.order_id)
        self.sold.update({(sale.day, p): u for p, u in sale.units})
        self.pairs.update(bought_together(sale))
        return True

    async def record_purchase(self, purchase, handled_event):
        if handled_event[0] in self.events:
            return False
        self.events.add(handled_event[0])
        for product_id in purchase.product_ids:
            self.bought[(purchase.user_id, product_id)] = purchase.at
        return True

    async def signals(self, seeds, user_id, *, sold_since, bought_since, size):
        self.asked.append((sold_since, bought_since, size))
        lately = frozenset(p for (u, p), at in self.bought.items() if u == user_id and at >= bought_since)
        together = Counter()
        for (a, b), orders in self.pairs.items():
            if a in seeds:
                together[b] += orders
        units = Counter()
        for (day, product_id), sold in self.sold.items():
            if day >= sold_since:
                units[product_id] += sold
        best = tuple(sorted(units.items(), key=lambda item: (-item[1], item[0]))[:size])
        return Signals(dict(together), best, lately)


class InMemoryCatalog:
    def __init__(self, *products):
        self.products_by_id = {p.id: p for p in products}
        self.listed = []

    async def products(self, ids):
        return {i: self.products_by_id[i] for i in ids if i in self.products_by_id}

    async def in_category(self, category, count):
        self.listed.append(category)
        return [p for p in self.products_by_id.values() if category in p.categories][:count]


def product(product_id, *categories, stock=5):
    return CatalogProduct(product_id, tuple(categories), stock)


SHOP = InMemoryCatalog(
    product("mug", "kitchen"), product("teapot", "kitchen", "tea"), product("cups", "kitchen"),
    product("kettle", "kitchen"), product("tea-tin", "tea"), product("tote", "bags"), product("wallet", "bags"),
    product("sold-out", "kitchen", stock=0),
)


def recommender(store, shop=SHOP, popular_days=30, bought_lately_days=30):
    return Recommender(store, shop, popular_days=popular_days, bought_lately_days=bought_lately_days, clock=lambda: NOW)


def ship(store, order_id, *lines, placed=NOW):
    return asyncio.run(store.record_sale(sale_of(order_id, placed, lines), (f"event-{order_id}", "OrderStatusChanged")))


def ask(reco, *seeds, user="", limit=4):
    return [(r.product.id, r.reason) for r in asyncio.run(reco.recommend(parse_query(list(seeds), "", user, limit)))]


def test_after_orders_that_pair_a_mug_with_a_teapot_the_mug_recommends_the_teapot():
    store = InMemorySales()
    ship(store, "o-1", ("mug", 1), ("teapot", 1))
    ship(store, "o-2", ("mug", 1), ("teapot", 1), ("cups", 2))
    assert ask(recommender(store), "mug", limit=2) == [("teapot", TOGETHER), ("cups", TOGETHER)]
    assert ask(recommender(store), "teapot", limit=1) == [("mug", TOGETHER)]


def test_an_order_counted_twice_changes_nothing():
    store = InMemorySales()
    assert ship(store, "o-1", ("mug", 1), ("teapot", 1))
    assert not ship(store, "o-1", ("mug", 1), ("teapot", 1))
    assert store.pairs[("mug", "teapot")] == 1


def test_with_no_pairs_the_best_sellers_follow_then_the_same_category():
    store = InMemorySales()
    ship(store, "o-1", ("tote", 5))
    ship(store, "o-2", ("wallet", 2))
    assert ask(recommender(store), "tea-tin", limit=4) == [
        ("tote", POPULAR), ("wallet", POPULAR), ("teapot", CATEGORY)]
    assert SHOP.listed[-1] == "tea"


def test_a_shop_with_no_sales_at_all_still_has_the_same_category():
    assert ask(recommender(InMemorySales()), "mug", limit=3) == [
        ("teapot", CATEGORY), ("cups", CATEGORY), ("kettle", CATEGORY)]


def test_sold_out_and_deleted_products_are_never_recommended():
    store = InMemorySales()
    ship(store, "o-1", ("mug", 1), ("sold-out", 1), ("deleted", 1), ("cups", 1))
    assert ask(recommender(store), "mug", limit=20) == [
        ("cups", TOGETHER), ("teapot", CATEGORY), ("kettle", CATEGORY)]


def test_the_shopper_is_not_offered_what_they_just_bought_or_has_in_the_cart():
    store = InMemorySales()
    ship(store, "o-1", ("mug", 1), ("teapot", 1), ("cups", 1), ("kettle", 1))
    asyncio.run(store.record_purchase(purchase_of("o-9", "ada", NOW - timedelta(days=2), [("teapot", 1)]),
                                      ("event-o-9", "OrderPlaced")))
    chosen = ask(recommender(store), "mug", "cups", user="ada", limit=5)
    assert [p for p, _ in chosen] == ["kettle"], "not the cart's mug and cups, not the teapot Ada just bought"
    assert ("teapot", TOGETHER) in ask(recommender(store), "mug", "cups", limit=2), "another shopper sees it"


def test_what_was_bought_before_the_window_is_neither_popular_nor_kept_out():
    store = InMemorySales()
    ship(store, "old", ("tote", 50), placed=NOW - timedelta(days=30))
    ship(store, "new", ("wallet", 1), placed=NOW - timedelta(days=29))
    reco = recommender(store)
    assert ask(reco, limit=4) == [("wallet", POPULAR)]
    sold_since, bought_since, _ = store.asked[-1]
    assert sold_since == date(2026, 2, 19) and bought_since == NOW - timedelta(days=30)


def test_nothing_given_means_the_best_sellers_only():
    store = InMemorySales()
    ship(store, "o-1", ("kettle", 3), ("cups", 1))
    assert ask(recommender(store), limit=4) == [("kettle", POPULAR), ("cups", POPULAR)]
