"""Product images uploaded by admins: what is taken and under which name. Pure.

An upload is taken when its bytes are a PNG, JPEG, GIF or WebP image (known by their
signature, whatever type the sender claims), not empty and at most MAX_BYTES. SVG is
refused: it can carry scripts. An image is named by its content ("u-" and a SHA-256 prefix),
so the same file uploaded twice is one image, and a name never changes what it shows
(the website may cache it for a year)."""
from __future__ import annotations

import hashlib
import re

from catalogservice.errors import InvalidArgument

MAX_BYTES = 1024 * 1024
URL_PREFIX = "/images/products/"
NAME = re.compile(r"u-[0-9a-f]{32}\.(png|jpg|gif|webp)")

# content type, file extension, and a test of the first bytes
_KINDS = (
    ("image/png", "png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", "jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/gif", "gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    ("image/webp", "webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
)
ACCEPTED = tuple(kind for kind, _, _ in _KINDS)


def kind_of(data: bytes, claimed: str = "") -> tuple[str, str]:
    """(content type, extension) of an upload; InvalidArgument says what is wrong."""
    if not data:
        raise InvalidArgument("the image is empty")
    if len(data) > MAX_BYTES:
        raise InvalidArgument(f"the image is {len(data):,} bytes; at most {MAX_BYTES:,} (1 MiB) are taken")
    for content_type, extension, matches in _KINDS:
        if matches(data[:16]):
            if claimed and claimed.lower() != content_type:
                raise InvalidArgument(f"the file is {content_type}, not {claimed}")
            return content_type, extension
    if data.lstrip()[:5].lower() in (b"<?xml", b"<svg ") or b"<svg" in data[:512].lower():
        raise InvalidArgument("SVG images are not taken (they can carry scripts): upload a PNG, JPEG, GIF or WebP")
    raise InvalidArgument("the file is not a PNG, JPEG, GIF or WebP image")


def name_for(data: bytes, extension: str) -> str:
    return f"u-{hashlib.sha256(data).hexdigest()[:32]}.{extension}"


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidArgument("an uploaded image's name is u-, 32 hexadecimal digits and .png, .jpg, .gif or .webp")
    return name
