"""Real grpcurl against the running catalogservice, through server reflection only
(no proto files at hand), as a person would use it."""
import json
import subprocess

from tests.support.tools import tool


def grpcurl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("grpcurl"), "-plaintext", *args], capture_output=True, text=True, timeout=30)


def test_list_shows_the_catalog_currency_health_and_reflection(catalog_service):
    result = grpcurl(catalog_service.address, "list")
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) >= {
        "shop.catalog.v1.CatalogService", "shop.catalog.v1.CurrencyService", "grpc.health.v1.Health",
    }


def test_describe_shows_the_rpcs(catalog_service):
    result = grpcurl(catalog_service.address, "describe", "shop.catalog.v1.CatalogService")
    assert result.returncode == 0, result.stderr
    assert "rpc GetProduct ( .shop.catalog.v1.GetProductRequest )" in result.stdout
    assert "rpc ReserveStock" in result.stdout


def test_describe_a_single_method_and_a_message(catalog_service):
    method = grpcurl(catalog_service.address, "describe", "shop.catalog.v1.CatalogService.GetProduct")
    assert method.returncode == 0, method.stderr
    assert "is a method" in method.stdout
    message = grpcurl(catalog_service.address, "describe", "shop.catalog.v1.Product")
    assert message.returncode == 0 and ".google.type.Money price = 5;" in message.stdout


def test_a_call_with_json_and_its_error(catalog_service):
    listed = grpcurl("-d", '{"page_size": 1}', catalog_service.address, "shop.catalog.v1.CatalogService/ListProducts")
    assert listed.returncode == 0, listed.stderr
    product_id = json.loads(listed.stdout)["products"][0]["id"]
    got = grpcurl("-d", json.dumps({"id": product_id}), catalog_service.address, "shop.catalog.v1.CatalogService/GetProduct")
    assert json.loads(got.stdout)["product"]["id"] == product_id
    missing = grpcurl("-d", '{"id": "ghost"}', catalog_service.address, "shop.catalog.v1.CatalogService/GetProduct")
    assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_health_check_through_grpcurl(catalog_service):
    result = grpcurl("-d", '{"service": "shop.catalog.v1.CatalogService"}', catalog_service.address, "grpc.health.v1.Health/Check")
    assert json.loads(result.stdout) == {"status": "SERVING"}
