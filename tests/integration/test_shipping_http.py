"""GetQuote through the HTTP/JSON facade, served from the proto's annotation alone, and
the facade's /healthz; internal RPCs have no HTTP route."""
import pytest

from tests.support.http import request


@pytest.fixture
def url(shipping_service):
    return shipping_service.http_url


def quote_body(**address_changes):
    address = {"name": "Erika Mustermann", "addressLines": ["Heidestraße 17"], "city": "Köln",
               "postalCode": "51147", "countryCode": "DE", **address_changes}
    return {
        "address": address,
        "items": [{"productId": "stoneware-mug", "quantity": 2}],
        "currencyCode": "USD",
        "subtotal": {"currencyCode": "USD", "units": "30", "nanos": 0},
    }


def test_a_quote_over_http_is_proto3_json(url):
    reply = request("POST", f"{url}/v1/shipments:quote", quote_body())
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json() == {
        "cost": {"currencyCode": "USD", "units": "18", "nanos": 970000000},
        "breakdown": [
            {"description": "Base rate, zone Europe", "amount": {"currencyCode": "USD", "units": "14", "nanos": 990000000}},
            {"description": "2 items × USD 1.99", "amount": {"currencyCode": "USD", "units": "3", "nanos": 980000000}},
        ],
        "zone": "europe",
        "freeShippingThreshold": {"currencyCode": "USD", "units": "150", "nanos": 0},
        "minDeliveryDays": 5,
        "maxDeliveryDays": 10,
    }


def test_proto_field_names_are_accepted_too(url):
    body = quote_body()
    body["currency_code"] = body.pop("currencyCode")
    assert request("POST", f"{url}/v1/shipments:quote", body).status == 200


@pytest.mark.parametrize(
    "changes, field, message",
    [({"postalCode": ""}, "address.postal_code", "address.postal_code is required"),
     ({"countryCode": "XX"}, "address.country_code", "address.country_code: we do not ship to XX")],
)
def test_a_bad_address_is_a_400_with_a_json_error_naming_the_field(url, changes, field, message):
    reply = request("POST", f"{url}/v1/shipments:quote", quote_body(**changes))
    assert reply.status == 400
    assert reply.json() == {"error": {
        "code": 400, "status": "INVALID_ARGUMENT", "message": message,
        "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                     "fieldViolations": [{"field": field, "description": message}]}],
    }}


def test_a_body_that_is_not_a_quote_request_is_a_400(url):
    reply = request("POST", f"{url}/v1/shipments:quote", {"currencyCode": "USD", "weight": 3})
    assert reply.status == 400 and reply.json()["error"]["message"]


def test_healthz_follows_postgres(url):
    assert request("GET", f"{url}/healthz").json() == {"status": "SERVING", "checks": {"postgres": "ok"}}


def test_internal_rpcs_are_not_served_over_http(url):
    assert request("POST", f"{url}/shop.shipping.v1.ShippingService/ShipOrder", {}).status == 404
