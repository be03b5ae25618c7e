from recommendationservice.ranking import (CatalogProduct, Candidate, Reason, Recommendation, Signals, excluded, pick,
                                           same_category, seed_categories, shortlist)

TOGETHER, POPULAR, CATEGORY = Reason.BOUGHT_TOGETHER, Reason.POPULAR, Reason.SAME_CATEGORY


def product(product_id, *categories, stock=5):
    return CatalogProduct(product_id, tuple(categories), stock)


def catalog(*products):
    return {p.id: p for p in products}


def ids(recommendations):
    return [(r.product.id, r.reason) for r in recommendations]


def test_products_bought_together_most_often_come_first_then_best_sellers():
    signals = Signals({"cups": 3, "tray": 7}, (("kettle", 40), ("cups", 12), ("lamp", 2)))
    assert shortlist(signals, frozenset(), 10) == [
        Candidate("tray", TOGETHER), Candidate("cups", TOGETHER),
        Candidate("kettle", POPULAR), Candidate("lamp", POPULAR)]


def test_among_products_bought_together_equally_often_the_better_seller_wins():
    signals = Signals({"cups": 2, "tray": 2, "apron": 2}, (("tray", 9), ("cups", 4)))
    assert [c.product_id for c in shortlist(signals, frozenset(), 10)] == ["tray", "cups", "apron"]


def test_given_products_and_the_shoppers_recent_purchases_are_never_candidates():
    signals = Signals({"mug": 5, "cups": 1}, (("mug", 50), ("kettle", 40), ("tray", 3)), frozenset({"kettle"}))
    excluding = excluded(("mug",), signals)
    assert excluding == {"mug", "kettle"}
    assert shortlist(signals, excluding, 10) == [Candidate("cups", TOGETHER), Candidate("tray", POPULAR)]


def test_the_shortlist_is_cut_to_its_size():
    signals = Signals({f"p{n}": 10 - n for n in range(6)}, (("x", 1),))
    assert [c.product_id for c in shortlist(signals, frozenset(), 3)] == ["p0", "p1", "p2"]


def test_deleted_and_sold_out_candidates_are_dropped_and_the_next_ones_move_up():
    candidates = [Candidate("gone", TOGETHER), Candidate("sold-out", TOGETHER), Candidate("cups", TOGETHER),
                  Candidate("kettle", POPULAR), Candidate("lamp", POPULAR)]
    known = catalog(product("sold-out", stock=0), product("cups"), product("kettle"), product("lamp"))
    assert ids(pick(candidates, known, 2)) == [("cups", TOGETHER), ("kettle", POPULAR)]


def test_the_categories_most_given_products_share_come_first():
    known = catalog(product("mug", "kitchen", "gifts"), product("teapot", "kitchen", "tea"),
                    product("tote", "bags", "gifts"))
    assert seed_categories(("mug", "teapot", "tote", "unknown"), known) == ["kitchen", "gifts", "tea"]
    assert seed_categories(("unknown",), known) == []


def test_the_last_resort_prefers_products_sharing_more_categories_then_best_sellers_then_the_catalogs_order():
    listed = [product("bowl", "kitchen"), product("spoon", "kitchen"), product("plate", "kitchen", "gifts"),
              product("card", "gifts"), product("bowl", "kitchen")]
    signals = Signals({}, (("spoon", 5),))
    chosen = same_category(listed, ["kitchen", "gifts"], frozenset(), [], signals, 10)
    assert ids(chosen) == [("plate", CATEGORY), ("spoon", CATEGORY), ("bowl", CATEGORY), ("card", CATEGORY)]


def test_the_last_resort_skips_what_is_excluded_chosen_sold_out_or_in_no_wanted_category():
    listed = [product("mug", "kitchen"), product("cups", "kitchen"), product("empty", "kitchen", stock=0),
              product("lamp", "home"), product("bowl", "kitchen"), product("spoon", "kitchen")]
    already = [Recommendation(product("cups", "kitchen"), TOGETHER)]
    chosen = same_category(listed, ["kitchen"], frozenset({"mug"}), already, Signals({}, ()), 1)
    assert ids(chosen) == [("bowl", CATEGORY)]
    assert same_category(listed, ["kitchen"], frozenset(), [], Signals({}, ()), 0) == []
