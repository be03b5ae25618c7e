"""What the catalog takes as a product image, and its name. Pure."""
from __future__ import annotations

import pytest

from catalogservice import images
from catalogservice.errors import InvalidArgument


@pytest.mark.parametrize("head, kind", [
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", ("image/jpeg", "jpg")),
    (b"GIF89a\x01\x00", ("image/gif", "gif")),
    (b"GIF87a\x01\x00", ("image/gif", "gif")),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", ("image/webp", "webp")),
])
def test_raster_images_are_known_by_their_first_bytes(head, kind):
    assert images.kind_of(head + b"rest") == kind
    assert images.kind_of(head + b"rest", kind[0].upper()) == kind  # a claim in any case


@pytest.mark.parametrize("data", [b"<?xml version='1.0'?><svg/>", b"  <svg width='1'/>", b"<!-- x --><svg></svg>"])
def test_svg_is_refused_by_name(data):
    with pytest.raises(InvalidArgument, match="SVG"):
        images.kind_of(data)


def test_the_limit_is_one_mebibyte_exactly():
    assert images.kind_of(b"GIF89a" + b"\0" * (images.MAX_BYTES - 6))[0] == "image/gif"
    with pytest.raises(InvalidArgument, match="1 MiB"):
        images.kind_of(b"GIF89a" + b"\0" * (images.MAX_BYTES - 5))


def test_a_name_is_a_digest_of_the_content_and_checked():
    name = images.name_for(b"abc", "png")
    assert name == "u-ba7816bf8f01cfea414140de5dae2223.png" and images.check_name(name) == name
    assert images.name_for(b"abd", "png") != name
    for odd in ("u-ba7816bf.png", "../u-ba7816bf8f01cfea414140de5dae2223.png", "u-" + "a" * 32 + ".svg"):
        with pytest.raises(InvalidArgument):
            images.check_name(odd)
