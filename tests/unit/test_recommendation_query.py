import pytest

from recommendationservice.errors import InvalidArgument
from recommendationservice.query import DEFAULT_LIMIT, MAX_LIMIT, MAX_PRODUCT_IDS, parse_query


def test_the_product_page_and_the_cart_ask_together_each_product_once_the_page_first():
    query = parse_query(["mug", "teapot", "mug"], "tote-bag", "guest:abc", 6)
    assert query.seeds == ("tote-bag", "mug", "teapot")
    assert (query.user_id, query.limit) == ("guest:abc", 6)


def test_nothing_asked_is_a_question_for_the_best_sellers_with_the_default_limit():
    query = parse_query([], "", "", 0)
    assert (query.seeds, query.user_id, query.limit) == ((), "", DEFAULT_LIMIT)


def test_a_whole_cart_may_be_asked_but_no_more():
    ids = [f"product-{n}" for n in range(MAX_PRODUCT_IDS)]
    assert len(parse_query(ids, "", "", 0).seeds) == MAX_PRODUCT_IDS
    with pytest.raises(InvalidArgument, match=f"at most {MAX_PRODUCT_IDS} products, got 51") as refused:
        parse_query([*ids, "one-more"], "", "", 0)
    assert refused.value.field == "product_ids"


@pytest.mark.parametrize("limit", [-1, MAX_LIMIT + 1, 1000])
def test_a_limit_out_of_range_is_refused_saying_the_range(limit):
    with pytest.raises(InvalidArgument, match=rf"limit must be between 1 and {MAX_LIMIT} \(0 means 4\), got {limit}") \
            as refused:
        parse_query(["mug"], "", "", limit)
    assert refused.value.field == "limit"


@pytest.mark.parametrize("product_ids, product_id, field", [
    (["mug", "Not A Slug"], "", "product_ids[1]"),
    ([""], "", "product_ids[0]"),
    ([], "x", "product_id"),
    ([], "a/b", "product_id"),
])
def test_a_malformed_product_id_is_refused_naming_where_it_is(product_ids, product_id, field):
    with pytest.raises(InvalidArgument, match="is not a catalog product id") as refused:
        parse_query(product_ids, product_id, "", 0)
    assert refused.value.field == field


@pytest.mark.parametrize("user_id", ["has space", "a/b", "u" * 129])
def test_a_malformed_user_id_is_refused(user_id):
    with pytest.raises(InvalidArgument, match="user_id must be 1 to 128 characters") as refused:
        parse_query([], "mug", user_id, 0)
    assert refused.value.field == "user_id"
