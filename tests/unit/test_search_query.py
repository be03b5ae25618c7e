import pytest

from catalogservice.errors import InvalidArgument
from catalogservice.search import MAX_TERMS, build_tsquery, search_terms


def test_every_word_must_match_and_may_be_a_prefix():
    assert build_tsquery("Camp Mug") == "'camp':* & 'mug':*"


def test_tsquery_syntax_typed_by_a_shopper_is_never_interpreted():
    query = build_tsquery("mug' | !cup & (tea):* <-> x")
    assert query == "'mug':* & 'cup':* & 'tea':* & 'x':*"
    assert "|" not in query and "!" not in query and "<->" not in query


def test_repeated_words_count_once_and_order_is_kept():
    assert search_terms("tea TEA mug tea") == ["tea", "mug"]


def test_non_ascii_words_are_kept():
    assert search_terms("Café crème") == ["café", "crème"]


def test_a_query_without_letters_or_digits_is_refused():
    with pytest.raises(InvalidArgument, match="at least one letter or digit"):
        build_tsquery("  !?* ")


def test_long_queries_are_refused_and_many_words_are_capped():
    with pytest.raises(InvalidArgument, match="at most 200"):
        build_tsquery("a" * 201)
    assert len(search_terms(" ".join(f"w{i}" for i in range(20)))) == MAX_TERMS
