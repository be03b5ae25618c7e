"""catalogservice over a real gRPC channel against a real PostgreSQL: every RPC and
its error cases."""
import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.type import money_pb2

from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, currency_pb2, currency_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd


@pytest.fixture
def catalog(catalog_channel):
    return catalog_pb2_grpc.CatalogServiceStub(catalog_channel)


@pytest.fixture
def currency(catalog_channel):
    return currency_pb2_grpc.CurrencyServiceStub(catalog_channel)


def status_of(call, *args, **kwargs) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        call(*args, timeout=5, **kwargs)
    return info.value.code(), info.value.details()


def test_the_demo_catalog_is_there_with_categories_and_images(catalog):
    page = catalog.ListProducts(catalog_pb2.ListProductsRequest(page_size=100), timeout=5)
    assert page.total_size >= 24
    categories = catalog.ListCategories(catalog_pb2.ListCategoriesRequest(), timeout=5).categories
    assert len(categories) >= 4 and all(c.product_count >= 1 for c in categories)
    assert all(p.image_url.startswith("/images/products/") for p in page.products if p.id.count("test-") == 0)
    assert any(p.stock == 0 for p in page.products), "the demo catalog shows an out-of-stock product"


def test_listing_pages_through_everything_once_in_name_order(catalog):
    seen, token = [], ""
    while True:
        page = catalog.ListProducts(catalog_pb2.ListProductsRequest(page_size=7, page_token=token), timeout=5)
        seen += [(p.name, p.id) for p in page.products]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == page.total_size == len(set(seen))
    assert seen == sorted(seen)


def test_listing_filters_by_category(catalog, catalog_channel):
    made = create_product(catalog_channel, categories=["outdoors"])
    page = catalog.ListProducts(catalog_pb2.ListProductsRequest(category="outdoors", page_size=100), timeout=5)
    assert made.id in [p.id for p in page.products]
    assert all("outdoors" in p.categories for p in page.products)
    assert status_of(catalog.ListProducts, catalog_pb2.ListProductsRequest(category="no-such"))[0] == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("size", [-1, 101])
def test_a_bad_page_size_is_invalid(catalog, size):
    code, details = status_of(catalog.ListProducts, catalog_pb2.ListProductsRequest(page_size=size))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_size" in details


def test_a_forged_page_token_is_invalid(catalog):
    code, _ = status_of(catalog.ListProducts, catalog_pb2.ListProductsRequest(page_token="not-ours"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_get_one_and_not_found(catalog, catalog_channel):
    made = create_product(catalog_channel, stock=3)
    got = catalog.GetProduct(catalog_pb2.GetProductRequest(id=made.id), timeout=5).product
    assert got == made and got.price == usd(9, 990_000_000) and got.stock == 3
    code, details = status_of(catalog.GetProduct, catalog_pb2.GetProductRequest(id="no-such-thing"))
    assert code == grpc.StatusCode.NOT_FOUND and "no-such-thing" in details


def test_get_many_keeps_the_order_asked_and_names_a_missing_id(catalog, catalog_channel):
    a, b = create_product(catalog_channel), create_product(catalog_channel)
    got = catalog.BatchGetProducts(catalog_pb2.BatchGetProductsRequest(ids=[b.id, a.id]), timeout=5).products
    assert [p.id for p in got] == [b.id, a.id]
    code, details = status_of(catalog.BatchGetProducts, catalog_pb2.BatchGetProductsRequest(ids=[a.id, "ghost"]))
    assert code == grpc.StatusCode.NOT_FOUND and "ghost" in details
    assert status_of(catalog.BatchGetProducts, catalog_pb2.BatchGetProductsRequest())[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_search_finds_words_and_word_starts_best_match_first(catalog, catalog_channel):
    strong = create_product(catalog_channel, name="Zephyrine Lantern", description="A brass lantern.")
    weak = create_product(catalog_channel, name="Brass Hook", description="Pairs with the zephyrine lantern.")
    found = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(query="zephyr"), timeout=5)
    assert [p.id for p in found.products] == [strong.id, weak.id] and found.total_size == 2
    both = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(query="brass hook"), timeout=5)
    assert [p.id for p in both.products] == [weak.id]
    nothing = catalog.SearchProducts(catalog_pb2.SearchProductsRequest(query="qwxzv"), timeout=5)
    assert list(nothing.products) == [] and nothing.total_size == 0
    assert status_of(catalog.SearchProducts, catalog_pb2.SearchProductsRequest(query="?!"))[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_related_products_share_categories_first_and_exclude_the_product(catalog, catalog_channel):
    anchor = create_product(catalog_channel, categories=["kitchen", "home"])
    related = catalog.ListRelatedProducts(catalog_pb2.ListRelatedProductsRequest(id=anchor.id, page_size=5), timeout=5).products
    assert len(related) == 5 and anchor.id not in [p.id for p in related]
    assert set(related[0].categories) & {"kitchen", "home"}
    assert status_of(catalog.ListRelatedProducts, catalog_pb2.ListRelatedProductsRequest(id="ghost"))[0] == grpc.StatusCode.NOT_FOUND


def test_create_refuses_invalid_products_and_taken_ids(catalog, catalog_channel):
    made = create_product(catalog_channel)
    cases = [
        (catalog_pb2.Product(name="", price=usd(1), categories=["kitchen"]), "name"),
        (catalog_pb2.Product(name="No price", categories=["kitchen"]), "price"),
        (catalog_pb2.Product(name="Free", price=usd(0), categories=["kitchen"]), "price"),
        (catalog_pb2.Product(name="Odd cents", price=usd(1, 5_000_000), categories=["kitchen"]), "cents"),
        (catalog_pb2.Product(name="Nowhere", price=usd(1), categories=["no-such-category"]), "category"),
        (catalog_pb2.Product(name="Bad money", price=usd(1, -5), categories=["kitchen"]), "sign"),
    ]
    for product, word in cases:
        code, details = status_of(catalog.CreateProduct, catalog_pb2.CreateProductRequest(product=product))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and word in details, details
    code, _ = status_of(catalog.CreateProduct, catalog_pb2.CreateProductRequest(
        product=catalog_pb2.Product(id=made.id, name="Again", price=usd(1), categories=["kitchen"])))
    assert code == grpc.StatusCode.ALREADY_EXISTS


def test_update_changes_masked_fields_only(catalog, catalog_channel):
    made = create_product(catalog_channel, stock=4)
    updated = catalog.UpdateProduct(catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=made.id, name="Renamed", stock=40, categories=["home"]),
        update_mask=FieldMask(paths=["name", "categories"])), timeout=5).product
    assert (updated.name, list(updated.categories), updated.stock, updated.price) == ("Renamed", ["home"], 4, made.price)
    assert updated.update_time.ToDatetime() >= made.update_time.ToDatetime()
    code, _ = status_of(catalog.UpdateProduct, catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=made.id, stock=-5), update_mask=FieldMask(paths=["stock"])))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    code, _ = status_of(catalog.UpdateProduct, catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id="ghost", name="x"), update_mask=FieldMask(paths=["name"])))
    assert code == grpc.StatusCode.NOT_FOUND


def test_an_update_without_a_mask_changes_the_fields_the_product_sets(catalog, catalog_channel):
    """AIP-134: no mask means the fields given (not empty, not 0), never a whole replacement."""
    made = create_product(catalog_channel, stock=4)
    updated = catalog.UpdateProduct(catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=made.id, stock=9)), timeout=5).product
    assert (updated.stock, updated.name, updated.price, list(updated.categories), updated.description) == \
        (9, made.name, made.price, list(made.categories), made.description)
    code, details = status_of(catalog.UpdateProduct, catalog_pb2.UpdateProductRequest(
        product=catalog_pb2.Product(id=made.id)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "nothing to change" in details


def test_a_deleted_product_is_gone_everywhere_and_keeps_its_id(catalog, catalog_channel):
    made = create_product(catalog_channel, name="Vanishing Quokka Vase")
    catalog.DeleteProduct(catalog_pb2.DeleteProductRequest(id=made.id), timeout=5)
    assert status_of(catalog.GetProduct, catalog_pb2.GetProductRequest(id=made.id))[0] == grpc.StatusCode.NOT_FOUND
    assert status_of(catalog.DeleteProduct, catalog_pb2.DeleteProductRequest(id=made.id))[0] == grpc.StatusCode.NOT_FOUND
    assert not catalog.SearchProducts(catalog_pb2.SearchProductsRequest(query="quokka"), timeout=5).products
    code, _ = status_of(catalog.CreateProduct, catalog_pb2.CreateProductRequest(
        product=catalog_pb2.Product(id=made.id, name="Reuse", price=usd(1), categories=["kitchen"])))
    assert code == grpc.StatusCode.ALREADY_EXISTS


def test_currencies_and_conversion(currency):
    listed = currency.ListSupportedCurrencies(currency_pb2.ListSupportedCurrenciesRequest(), timeout=5)
    assert {"USD", "EUR", "JPY"} <= set(listed.currency_codes) and listed.rates_date
    same = currency.Convert(currency_pb2.ConvertRequest(**{"from": usd(12, 500_000_000)}, to_currency_code="USD"), timeout=5)
    assert same.money == usd(12, 500_000_000)
    yen = currency.Convert(currency_pb2.ConvertRequest(**{"from": usd(10)}, to_currency_code="JPY"), timeout=5).money
    assert yen.currency_code == "JPY" and yen.nanos == 0 and yen.units > 1000
    code, details = status_of(currency.Convert, currency_pb2.ConvertRequest(**{"from": usd(1)}, to_currency_code="XXX"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "XXX" in details
    code, _ = status_of(currency.Convert, currency_pb2.ConvertRequest(to_currency_code="EUR"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_convert_many_converts_each_amount_as_convert_does(currency):
    amounts = [usd(10), usd(12, 500_000_000), money_pb2.Money(currency_code="EUR", units=3, nanos=330_000_000)]
    many = currency.ConvertMany(currency_pb2.ConvertManyRequest(amounts=amounts, to_currency_code="JPY"), timeout=5)
    one_by_one = [currency.Convert(currency_pb2.ConvertRequest(**{"from": a}, to_currency_code="JPY"), timeout=5).money
                  for a in amounts]
    assert list(many.amounts) == one_by_one
    assert not currency.ConvertMany(currency_pb2.ConvertManyRequest(to_currency_code="EUR"), timeout=5).amounts
    code, details = status_of(currency.ConvertMany, currency_pb2.ConvertManyRequest(amounts=[usd(1)], to_currency_code="XXX"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "XXX" in details
    code, details = status_of(currency.ConvertMany, currency_pb2.ConvertManyRequest(
        amounts=[usd(1), money_pb2.Money(currency_code="QQQ", units=1)], to_currency_code="EUR"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith("amounts[1]") and "QQQ" in details
    code, _ = status_of(currency.ConvertMany, currency_pb2.ConvertManyRequest(amounts=[usd(1)] * 101, to_currency_code="EUR"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
