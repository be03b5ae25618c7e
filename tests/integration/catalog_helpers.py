"""Small builders shared by the catalog's integration tests."""
import uuid

from google.type import money_pb2

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc


def usd(units: int, nanos: int = 0) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", units=units, nanos=nanos)


def create_product(channel, *, stock: int = 10, name: str | None = None, categories=("kitchen",), **fields):
    """A fresh product with a unique id, so tests never depend on each other's data."""
    suffix = uuid.uuid4().hex[:8]
    product = catalog_pb2.Product(
        id=fields.pop("id", f"test-{suffix}"), name=name or f"Test Item {suffix}",
        description=fields.pop("description", "A product made by a test."),
        price=fields.pop("price", usd(9, 990_000_000)), categories=list(categories), stock=stock, **fields,
    )
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    return stub.CreateProduct(catalog_pb2.CreateProductRequest(product=product), timeout=5).product
