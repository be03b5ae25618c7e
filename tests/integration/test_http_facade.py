"""The HTTP/JSON facade over real HTTP: requests reach the RPCs named by the
google.api.http annotations, and errors come back with the right HTTP status and a
JSON body."""
import re
import uuid

import pytest

from tests.support.http import request


@pytest.fixture
def url(catalog_service):
    return catalog_service.http_url


def new_product_json(**overrides):
    body = {
        "id": f"http-{uuid.uuid4().hex[:8]}", "name": "HTTP Made Kettle", "description": "Made over HTTP.",
        "price": {"currencyCode": "USD", "units": "24", "nanos": 500000000}, "categories": ["kitchen"], "stock": 6,
    }
    body.update(overrides)
    return body


def test_list_and_get_over_http_in_proto3_json(url):
    listed = request("GET", f"{url}/v1/products?page_size=3")
    assert listed.status == 200 and listed.headers["Content-Type"].startswith("application/json")
    payload = listed.json()
    assert len(payload["products"]) == 3 and payload["nextPageToken"] and payload["totalSize"] >= 24
    first = payload["products"][0]
    got = request("GET", f"{url}/v1/products/{first['id']}").json()["product"]
    assert got == first and set(got["price"]) == {"currencyCode", "units", "nanos"}


def test_repeated_query_parameters_and_custom_verbs(url):
    ids = [p["id"] for p in request("GET", f"{url}/v1/products?pageSize=2").json()["products"]]
    got = request("GET", f"{url}/v1/products:batchGet?ids={ids[1]}&ids={ids[0]}").json()["products"]
    assert [p["id"] for p in got] == [ids[1], ids[0]]
    assert request("GET", f"{url}/v1/products:search?query=mug").status == 200


def test_create_update_delete_over_http(url):
    body = new_product_json()
    created = request("POST", f"{url}/v1/products", body)
    assert created.status == 200, created.body
    assert created.json()["product"]["id"] == body["id"]
    patched = request("PATCH", f"{url}/v1/products/{body['id']}?update_mask=stock", {"stock": 2})
    assert patched.status == 200 and patched.json()["product"]["stock"] == 2
    assert request("POST", f"{url}/v1/products", body).status == 409
    assert request("DELETE", f"{url}/v1/products/{body['id']}").status == 200
    gone = request("GET", f"{url}/v1/products/{body['id']}")
    assert gone.status == 404
    assert gone.json() == {"error": {
        "code": 404, "status": "NOT_FOUND", "message": f"product '{body['id']}' does not exist",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "PRODUCT_NOT_FOUND", "domain": "shop",
                     "metadata": {"product_id": body["id"]}}],
    }}


@pytest.mark.parametrize(
    "method, path, body, raw, status",
    [
        ("GET", "/v1/products?page_size=1000", None, None, 400),
        ("GET", "/v1/products?colour=red", None, None, 400),
        ("GET", "/v1/products?category=no-such", None, None, 404),
        ("POST", "/v1/products", None, b"{not json", 400),
        ("POST", "/v1/products", {"name": "x", "price": "cheap"}, None, 400),
        ("POST", "/v1/products", {"name": "No category", "price": {"currencyCode": "USD", "units": "1"}}, None, 400),
        ("POST", "/v1/currencies:convert", {"from": {"currencyCode": "USD", "units": "1"}, "toCurrencyCode": "ZZZ"}, None, 400),
        ("GET", "/v1/nothing-here", None, None, 404),
        ("PUT", "/v1/products", None, None, 405),
    ],
)
def test_errors_map_to_http_statuses_with_a_json_body(url, method, path, body, raw, status):
    reply = request(method, url + path, body, raw=raw)
    assert reply.status == status, reply.body
    error = reply.json()["error"]
    assert error["code"] == status and error["message"] and "Traceback" not in reply.body.decode()


def test_the_request_id_is_echoed_and_generated_when_missing(url):
    assert request("GET", f"{url}/v1/categories", headers={"X-Request-Id": "abc123"}).headers["X-Request-Id"] == "abc123"
    assert re.fullmatch(r"[0-9a-f]{32}", request("GET", f"{url}/v1/categories").headers["X-Request-Id"])


@pytest.mark.parametrize("unusable", ["a b", "x" * 129, "tab\there", "caf\u00e9"])
def test_a_request_id_that_cannot_travel_on_is_replaced(url, unusable):
    """A request id goes on as gRPC metadata (printable ASCII): a header that could not
    must not turn a good request into an error."""
    reply = request("GET", f"{url}/v1/categories", headers={"X-Request-Id": unusable})
    assert reply.status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", reply.headers["X-Request-Id"])


def test_healthz_reports_dependency_checks(url):
    reply = request("GET", f"{url}/healthz")
    assert reply.status == 200 and reply.json() == {"status": "SERVING", "checks": {"postgres": "ok"}}


def test_metrics_are_prometheus_text_and_count_calls(url):
    def handled():
        text = request("GET", f"{url}/metrics").body.decode()
        line = re.search(r'grpc_server_handled_total\{grpc_code="OK",grpc_method="ListCategories",grpc_service="shop.catalog.v1.CatalogService"\} (\S+)', text)
        return float(line.group(1)) if line else 0.0

    before = handled()
    request("GET", f"{url}/v1/categories")
    assert handled() == before + 1
    text = request("GET", f"{url}/metrics").body.decode()
    assert "# TYPE grpc_server_handling_seconds histogram" in text
    assert 'http_server_requests_total{method="GET",route="/v1/categories",status="200"}' in text


def test_product_images_are_served_locally_with_caching(url):
    # A seeded product: the listing's first may be one another test made (the gateway fuzz
    # creates products with generated image URLs in the same catalog).
    product = request("GET", f"{url}/v1/products/stoneware-mug").json()["product"]
    image = request("GET", url + product["imageUrl"])
    assert image.status == 200 and image.headers["Content-Type"] == "image/svg+xml"
    assert "max-age" in image.headers["Cache-Control"] and image.body.lstrip().startswith(b"<")
    assert request("GET", f"{url}/images/products/../../server.py").status == 404
    # Nothing there, the folder itself, outside it, a name longer than the file system takes.
    for missing in ("nope.svg", ".", "..%2Fserver.py", "a" * 300 + ".svg"):
        reply = request("GET", f"{url}/images/products/{missing}")
        assert reply.status == 404 and reply.json()["error"]["status"] == "NOT_FOUND", (missing, reply)
