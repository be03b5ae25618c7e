"""Real grpcurl against the running shippingservice through server reflection only."""
import json
import subprocess

from tests.support.tools import tool

QUOTE = {
    "address": {"name": "Ada Lovelace", "address_lines": ["1 Main St"], "city": "Boston", "region": "MA",
                "postal_code": "02110", "country_code": "US"},
    "items": [{"product_id": "stoneware-mug", "quantity": 3}],
    "currency_code": "USD",
    "subtotal": {"currency_code": "USD", "units": 60},
}


def grpcurl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("grpcurl"), "-plaintext", *args], capture_output=True, text=True, timeout=30)


def test_list_shows_the_shipping_service(shipping_service):
    result = grpcurl(shipping_service.address, "list")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) >= {"shop.shipping.v1.ShippingService", "grpc.health.v1.Health"}


def test_describe_shows_every_rpc(shipping_service):
    result = grpcurl(shipping_service.address, "describe", "shop.shipping.v1.ShippingService")
    assert result.returncode == 0, result.stderr
    for rpc in ("GetQuote", "ShipOrder", "TrackShipment", "CancelShipment"):
        assert f"rpc {rpc} (" in result.stdout


def test_a_quote_with_grpcurl_and_its_error(shipping_service):
    method = "shop.shipping.v1.ShippingService/GetQuote"
    result = grpcurl("-d", json.dumps(QUOTE), shipping_service.address, method)
    assert result.returncode == 0, result.stderr
    quote = json.loads(result.stdout)
    assert quote["zone"] == "domestic" and quote["cost"] == {"currency_code": "USD"}  # free over USD 50; zero fields omitted
    assert len(quote["breakdown"]) == 3
    bad = grpcurl("-d", json.dumps({**QUOTE, "address": {**QUOTE["address"], "region": ""}}),
                  shipping_service.address, method)
    assert bad.returncode != 0 and "InvalidArgument" in bad.stderr and "address.region is required" in bad.stderr
