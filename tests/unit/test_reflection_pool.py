import pytest

from service_runtime.reflection_pool import MethodAwarePool
from shop.catalog.v1 import catalog_pb2


def test_a_method_resolves_to_its_service_file():
    pool = MethodAwarePool()
    assert pool.FindFileContainingSymbol("shop.catalog.v1.CatalogService.GetProduct") is catalog_pb2.DESCRIPTOR
    assert pool.FindFileContainingSymbol("shop.catalog.v1.Product") is catalog_pb2.DESCRIPTOR


def test_unknown_symbols_still_fail_as_the_pool_does():
    with pytest.raises(KeyError):
        MethodAwarePool().FindFileContainingSymbol("shop.catalog.v1.CatalogService.NoSuchMethod")
