"""Turning what a shopper types into a PostgreSQL tsquery. Pure: no I/O."""
from __future__ import annotations

import re

from catalogservice.errors import InvalidArgument

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str) -> list[str]:
    """The distinct words of a query, lowercased, in order, at most MAX_TERMS."""
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidArgument(f"query must be at most {MAX_QUERY_LENGTH} characters")
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        word = word.strip("_")
        if word and word not in terms:
            terms.append(word)
    if not terms:
        raise InvalidArgument("query must contain at least one letter or digit")
    return terms[:MAX_TERMS]


def build_tsquery(query: str) -> str:
    """Every word must match, each also as the start of a longer word ("sung" finds
    "sunglasses"). Words are quoted, so nothing typed is read as tsquery syntax."""
    return " & ".join(f"'{term}':*" for term in search_terms(query))
