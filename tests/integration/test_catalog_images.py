"""Product images uploaded by admins, against the real catalog and website: taken by what
their bytes are (PNG, JPEG, GIF, WebP; at most 1 MiB; SVG refused), named by their content,
kept in the catalog's database, and served by the website from there, so that every replica
of either serves them. Each upload is in the audit log, as its size."""
from __future__ import annotations

import struct
import uuid
import zlib

import grpc
import pytest

from service_runtime import audit
from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.http import request


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A real PNG of one colour (seed changes the colour, so the bytes)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    row = b"\x00" + bytes([seed % 256, 80, 160]) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


@pytest.fixture
def stub(catalog_channel):
    return catalog_pb2_grpc.CatalogServiceStub(catalog_channel)


def upload(stub, data: bytes, content_type: str = "", **kwargs) -> catalog_pb2.UploadProductImageResponse:
    return stub.UploadProductImage(catalog_pb2.UploadProductImageRequest(data=data, content_type=content_type),
                                   timeout=5, **kwargs)


def refusal(stub, data: bytes, content_type: str = "") -> str:
    with pytest.raises(grpc.RpcError) as refused:
        upload(stub, data, content_type)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return refused.value.details()


def test_an_upload_is_named_by_its_content_and_read_back_whole(stub, catalog_channel):
    data = png(seed=uuid.uuid4().int)
    made = upload(stub, data, "image/png", metadata=audit.metadata_for("admin-9", "website", "192.0.2.7"))
    assert made.image_url.startswith("/images/products/u-") and made.image_url.endswith(".png")
    assert (made.content_type, made.size_bytes) == ("image/png", len(data))
    assert upload(stub, data).image_url == made.image_url  # the same bytes are the same image
    name = made.image_url.rsplit("/", 1)[1]
    back = stub.GetProductImage(catalog_pb2.GetProductImageRequest(name=name), timeout=5)
    assert (back.content_type, back.data) == ("image/png", data)

    log = audit_pb2_grpc.AuditLogServiceStub(catalog_channel).ListActions(
        audit_pb2.ListActionsRequest(page_size=20), timeout=5).actions
    entry = next(e for e in log if e.action == "UploadProductImage" and e.actor_id == "admin-9")
    assert f'"data": "{len(data):,} bytes"' in entry.details and entry.outcome == "OK"


@pytest.mark.parametrize("data, claimed, says", [
    (b"", "", "empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "", "at most 1,048,576"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml", "SVG"),
    (b"%PDF-1.7 not an image", "image/png", "not a PNG, JPEG, GIF or WebP"),
    (png(), "image/jpeg", "the file is image/png, not image/jpeg"),
])
def test_what_is_not_a_small_raster_image_is_refused_saying_why(stub, data, claimed, says):
    assert says in refusal(stub, data, claimed)


def test_an_unknown_or_malformed_name_is_not_found_or_refused(stub):
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetProductImage(catalog_pb2.GetProductImageRequest(name="u-" + "0" * 32 + ".png"), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as odd:
        stub.GetProductImage(catalog_pb2.GetProductImageRequest(name="../../etc/passwd"), timeout=5)
    assert odd.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_website_serves_an_uploaded_image_and_a_product_shows_it(stub, web):
    data = png(seed=uuid.uuid4().int)
    url = upload(stub, data).image_url
    served = web.get(url)
    assert served.status_code == 200 and served.data == data
    assert served.headers["Content-Type"] == "image/png" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    assert web.get("/images/products/u-" + "f" * 32 + ".png").status_code == 404

    product = stub.CreateProduct(catalog_pb2.CreateProductRequest(product=catalog_pb2.Product(
        id=f"pictured-{uuid.uuid4().hex[:8]}", name="Pictured Kettle", description="Has a picture.", image_url=url,
        price={"currency_code": "USD", "units": 30}, categories=["kitchen"], stock=2)), timeout=5).product
    assert f'src="{url}"' in web.get(f"/products/{product.id}").text


def test_the_api_serves_an_uploaded_image_like_a_shipped_one(stub, catalog_service, gateway):
    data = png(seed=uuid.uuid4().int)
    url = upload(stub, data).image_url
    for base in (catalog_service.http_url, gateway.url):
        served = request("GET", base + url)
        assert served.status == 200 and served.body == data, base
        assert served.headers["Content-Type"] == "image/png" and "immutable" in served.headers["Cache-Control"]
    assert request("GET", gateway.url + "/images/products/u-" + "e" * 32 + ".png").status == 404
    shipped = request("GET", catalog_service.http_url + "/images/products/../../server.py")
    assert shipped.status == 404
