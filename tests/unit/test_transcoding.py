import grpc
import pytest

from service_runtime import transcoding
from service_runtime.transcoding import BadHttpRequest, UnsupportedRule, build_request, parse_template, routes_for
from shop.catalog.v1 import catalog_pb2, currency_pb2
from shop.checkout.v1 import checkout_pb2

CATALOG = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"]
CURRENCY = currency_pb2.DESCRIPTOR.services_by_name["CurrencyService"]
CHECKOUT = checkout_pb2.DESCRIPTOR.services_by_name["CheckoutService"]


def route(service, rpc):
    return next(r for r in routes_for(service) if r.method.name == rpc)


@pytest.mark.parametrize(
    "template, pattern, variables",
    [
        ("/v1/products", "/v1/products", ()),
        ("/v1/products/{id}", "/v1/products/{v0:[^/]+}", ("id",)),
        ("/v1/products/{product.id}", "/v1/products/{v0:[^/]+}", ("product.id",)),
        ("/v1/products:search", "/v1/products:search", ()),
        ("/v1/orders/{order_id}:cancel", "/v1/orders/{v0:[^/:]+}:cancel", ("order_id",)),
        ("/v1/users/{user_id}/cart/items/{product_id}", "/v1/users/{v0:[^/]+}/cart/items/{v1:[^/]+}", ("user_id", "product_id")),
    ],
)
def test_templates_become_router_patterns(template, pattern, variables):
    assert parse_template(template) == (pattern, variables)


@pytest.mark.parametrize("template", ["/v1/{name=products/*}", "/v1/{path=**}", "v1/products", "/v1/a b", "/v1/x:bad-verb"])
def test_unsupported_templates_are_refused_at_start(template):
    with pytest.raises(UnsupportedRule):
        parse_template(template)


def test_every_annotated_catalog_rpc_has_a_route_and_internal_ones_have_none():
    names = {r.method.name for r in routes_for(CATALOG)}
    assert {"ListProducts", "GetProduct", "SearchProducts", "CreateProduct", "UpdateProduct", "DeleteProduct"} <= names
    assert "ReserveStock" not in names and "ReleaseStock" not in names


def test_path_variables_fill_the_request():
    message = build_request(route(CATALOG, "GetProduct"), {"v0": "enamel-mug"}, [], None, catalog_pb2.GetProductRequest)
    assert message.id == "enamel-mug"


def test_query_parameters_accept_proto_and_json_names_and_repeat_for_lists():
    r = route(CATALOG, "ListProducts")
    a = build_request(r, {}, [("page_size", "5"), ("category", "home")], None, catalog_pb2.ListProductsRequest)
    b = build_request(r, {}, [("pageSize", "5"), ("category", "home")], None, catalog_pb2.ListProductsRequest)
    assert a == b and a.page_size == 5
    batch = build_request(route(CATALOG, "BatchGetProducts"), {}, [("ids", "a"), ("ids", "b")], None,
                          catalog_pb2.BatchGetProductsRequest)
    assert list(batch.ids) == ["a", "b"]


def test_a_body_field_and_a_path_variable_combine_and_the_path_wins():
    r = route(CATALOG, "UpdateProduct")
    message = build_request(r, {"v0": "mug"}, [("update_mask", "name,stock")],
                            {"id": "other", "name": "New", "stock": 3}, catalog_pb2.UpdateProductRequest)
    assert message.product.id == "mug" and message.product.name == "New"
    assert list(message.update_mask.paths) == ["name", "stock"]


def test_a_star_body_is_the_whole_request():
    message = build_request(route(CURRENCY, "Convert"), {}, [], {"from": {"currencyCode": "USD", "units": "3"}, "toCurrencyCode": "EUR"},
                            currency_pb2.ConvertRequest)
    assert message.to_currency_code == "EUR" and getattr(message, "from").units == 3


@pytest.mark.parametrize(
    "rpc, query, body, message",
    [
        ("ListProducts", [("nope", "1")], None, "unknown query parameter 'nope'"),
        ("ListProducts", [("page_size", "many")], None, "invalid request"),
        ("ListProducts", [("page_size", "1"), ("page_size", "2")], None, "more than once"),
        ("ListProducts", [], {"x": 1}, "takes no body"),
        ("CreateProduct", [], None, r"body \(product\) is required"),
        ("CreateProduct", [], {"unknown_field": 1}, "invalid request"),
    ],
)
def test_malformed_http_requests_are_bad_requests(rpc, query, body, message):
    r = route(CATALOG, rpc)
    request_class = getattr(catalog_pb2, f"{rpc}Request")
    with pytest.raises(BadHttpRequest, match=message):
        build_request(r, {}, query, body, request_class)


def test_an_empty_star_body_is_a_request_with_only_its_path_fields():
    message = build_request(route(CHECKOUT, "CancelOrder"), {"v0": "user-1", "v1": "order-1"}, [], None,
                            checkout_pb2.CancelOrderRequest)
    assert (message.user_id, message.order_id) == ("user-1", "order-1")


def test_a_star_body_must_be_an_object():
    with pytest.raises(BadHttpRequest, match="JSON object"):
        build_request(route(CURRENCY, "Convert"), {}, [], [1, 2], currency_pb2.ConvertRequest)


@pytest.mark.parametrize(
    "code, status",
    [
        (grpc.StatusCode.NOT_FOUND, 404), (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.FAILED_PRECONDITION, 400), (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.UNAUTHENTICATED, 401), (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429), (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504), (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNIMPLEMENTED, 501),
    ],
)
def test_status_codes_map_to_http_the_standard_way(code, status):
    http_status, body = transcoding.error_json(code, "why")
    assert http_status == status
    assert body == {"error": {"code": status, "status": code.name, "message": "why"}}


def test_a_patch_without_a_mask_changes_exactly_the_fields_its_body_names():
    patch = route(CATALOG, "UpdateProduct")
    message = build_request(patch, {"v0": "mug"}, [], {"stock": 0, "imageUrl": "/x.png"},
                            catalog_pb2.UpdateProductRequest)
    assert list(message.update_mask.paths) == ["stock", "image_url"] and message.product.id == "mug"
    named = build_request(patch, {"v0": "mug"}, [("update_mask", "name")], {"name": "A", "stock": 3},
                          catalog_pb2.UpdateProductRequest)
    assert list(named.update_mask.paths) == ["name"], "a mask the client gives is kept"
    with pytest.raises(BadHttpRequest, match="invalid request"):
        build_request(patch, {"v0": "mug"}, [], {"nope": 1}, catalog_pb2.UpdateProductRequest)
