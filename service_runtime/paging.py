"""Page sizes and opaque page tokens for list RPCs (offset based). Pure. InvalidPage
belongs in every listing service's error table as INVALID_ARGUMENT."""
from __future__ import annotations

import base64
from dataclasses import dataclass

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class InvalidPage(ValueError):
    """A page size out of range or a page token this service did not issue."""


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int = 0

    def next_token(self, returned: int, total: int) -> str:
        end = self.offset + returned
        return encode_token(end) if returned and end < total else ""


def paging(page_size: int, page_token: str, *, default: int = DEFAULT_PAGE_SIZE,
           maximum: int = MAX_PAGE_SIZE) -> Paging:
    if page_size < 0 or page_size > maximum:
        raise InvalidPage(f"page_size must be between 1 and {maximum} (0 for the default {default})")
    return Paging(limit=page_size or default, offset=decode_token(page_token))


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = raw.partition(":")
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError
    except ValueError:
        raise InvalidPage("page_token is not one this service issued") from None
    return offset
