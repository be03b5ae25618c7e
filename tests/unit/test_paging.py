import pytest

from service_runtime import paging
from service_runtime.paging import InvalidPage


def test_page_tokens_round_trip_and_foreign_tokens_are_refused():
    assert paging.decode_token(paging.encode_token(40)) == 40
    for bad in ("garbage!", "bzotMQ", paging.encode_token(3)[:-1] + "@"):
        with pytest.raises(InvalidPage, match="page_token"):
            paging.decode_token(bad)


def test_page_size_bounds_and_defaults():
    assert paging.paging(0, "").limit == paging.DEFAULT_PAGE_SIZE
    assert paging.paging(0, "", default=4, maximum=20).limit == 4
    for bad in (-1, 101):
        with pytest.raises(InvalidPage, match="page_size"):
            paging.paging(bad, "")


def test_the_next_token_is_empty_on_the_last_page():
    first = paging.paging(10, "")
    assert paging.decode_token(first.next_token(10, 25)) == 10
    last = paging.paging(10, paging.encode_token(20))
    assert last.next_token(5, 25) == ""
