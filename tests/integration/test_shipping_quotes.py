"""GetQuote over a real gRPC channel against the real shippingservice, converting
through the real catalogservice: the rule, exact conversion of each part, the
free-shipping threshold, and every refusal naming what is wrong."""
from decimal import Decimal

import grpc
import pytest
from google.type import money_pb2

from service_runtime import money
from shop.catalog.v1 import currency_pb2, currency_pb2_grpc
from shop.shipping.v1 import shipping_pb2, shipping_pb2_grpc


@pytest.fixture
def shipping(shipping_channel):
    return shipping_pb2_grpc.ShippingServiceStub(shipping_channel)


@pytest.fixture
def currency(catalog_channel):
    return currency_pb2_grpc.CurrencyServiceStub(catalog_channel)


def address(**changes) -> shipping_pb2.Address:
    fields = dict(name="Erika Mustermann", address_lines=["Heidestraße 17"], city="Köln",
                  postal_code="51147", country_code="DE")
    fields.update(changes)
    return shipping_pb2.Address(**fields)


def amount(value: Decimal, code: str) -> money_pb2.Money:
    units, nanos = money.to_units_nanos(value)
    return money_pb2.Money(currency_code=code, units=units, nanos=nanos)


def decimal(message: money_pb2.Money) -> Decimal:
    return money.from_units_nanos(message.units, message.nanos)


def items(*quantities):
    return [shipping_pb2.ShipmentItem(product_id=f"stoneware-mug-{i}", quantity=q) for i, q in enumerate(quantities)]


def get_quote(stub, currency_code="USD", subtotal="20.00", *, to=None, quantities=(2, 1), subtotal_code=None):
    request = shipping_pb2.GetQuoteRequest(
        address=to or address(), items=items(*quantities), currency_code=currency_code,
        subtotal=amount(Decimal(subtotal), subtotal_code or currency_code),
    )
    return stub.GetQuote(request, timeout=10)


def refusal(call, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    return info.value.code(), info.value.details()


def convert(currency, usd: str, code: str) -> Decimal:
    request = currency_pb2.ConvertRequest(**{"from": amount(Decimal(usd), "USD")}, to_currency_code=code)
    converted = currency.Convert(request, timeout=5).money
    assert converted.currency_code == code
    return decimal(converted)


def assert_adds_up(quote, code):
    assert quote.cost.currency_code == code and all(line.amount.currency_code == code for line in quote.breakdown)
    assert sum(decimal(line.amount) for line in quote.breakdown) == decimal(quote.cost)


def test_a_usd_quote_follows_the_stated_rule(shipping):
    quote = get_quote(shipping, "USD", "20.00", quantities=(2, 1))
    assert [(line.description, decimal(line.amount)) for line in quote.breakdown] == [
        ("Base rate, zone Europe", Decimal("14.99")), ("3 items × USD 1.99", Decimal("5.97")),
    ]
    assert decimal(quote.cost) == Decimal("20.96")
    assert (quote.zone, quote.min_delivery_days, quote.max_delivery_days) == ("europe", 5, 10)
    assert quote.free_shipping_threshold == amount(Decimal("150"), "USD")
    assert_adds_up(quote, "USD")


@pytest.mark.parametrize("code", ["EUR", "JPY", "GBP"])
def test_each_part_is_what_the_currency_service_gives_and_the_lines_add_up(shipping, currency, code):
    quote = get_quote(shipping, code, "10", quantities=(3,))
    base, per_item, threshold = (convert(currency, usd, code) for usd in ("14.99", "1.99", "150.00"))
    assert [decimal(line.amount) for line in quote.breakdown] == [base, per_item * 3]
    assert decimal(quote.free_shipping_threshold) == threshold and quote.free_shipping_threshold.currency_code == code
    assert decimal(quote.cost) == base + per_item * 3
    assert_adds_up(quote, code)
    if code == "JPY":
        assert quote.cost.nanos == 0 and all(line.amount.nanos == 0 for line in quote.breakdown)


def test_free_shipping_from_exactly_the_converted_threshold(shipping, currency):
    threshold = convert(currency, "150.00", "EUR")
    below = get_quote(shipping, "EUR", str(threshold - Decimal("0.01")))
    assert decimal(below.cost) > 0 and len(below.breakdown) == 2
    at = get_quote(shipping, "EUR", str(threshold))
    assert decimal(at.cost) == 0 and len(at.breakdown) == 3
    free = at.breakdown[2]
    assert free.description == f"Free shipping over EUR {threshold:.2f}"
    assert decimal(free.amount) == -decimal(below.cost)
    assert_adds_up(at, "EUR")


def test_the_world_zone_never_ships_free_and_has_no_threshold(shipping):
    quote = get_quote(shipping, "USD", "99999.00", to=address(city="Tokyo", postal_code="100-0001", country_code="JP"))
    assert quote.zone == "world" and decimal(quote.cost) == Decimal("24.99") + 3 * Decimal("2.99")
    assert not quote.HasField("free_shipping_threshold")


@pytest.mark.parametrize(
    "country, region, postal_code, zone",
    [("US", "NY", "10001", "domestic"), ("CA", "ON", "K1A 0B1", "north-america"), ("MX", "", "06000", "north-america"),
     ("GB", "", "SW1A 1AA", "europe"), ("AU", "NSW", "2000", "world")],
)
def test_the_zone_follows_the_destination(shipping, country, region, postal_code, zone):
    to = address(country_code=country, region=region, postal_code=postal_code)
    assert get_quote(shipping, to=to).zone == zone


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"country_code": ""}, "address.country_code is required"),
        ({"country_code": "XX"}, "address.country_code: we do not ship to XX"),
        ({"country_code": "de"}, "address.country_code must be two uppercase letters"),
        ({"name": ""}, "address.name is required"),
        ({"name": "n" * 101}, "address.name must be at most 100 characters"),
        ({"address_lines": []}, "address.address_lines must have 1 to 3 lines"),
        ({"address_lines": ["a", "b", "c", "d"]}, "address.address_lines must have 1 to 3 lines"),
        ({"address_lines": ["Heidestraße 17", ""]}, "address.address_lines[1] is required"),
        ({"city": ""}, "address.city is required"),
        ({"postal_code": ""}, "address.postal_code is required"),
        ({"postal_code": "5114"}, "address.postal_code '5114' is not a DE postal code"),
        ({"country_code": "US", "region": "", "postal_code": "10001"}, "address.region is required for US addresses"),
        ({"country_code": "US", "region": "ZZ", "postal_code": "10001"}, "address.region must be a US state"),
        ({"country_code": "US", "region": "NY", "postal_code": "1000"}, "expected e.g. 12345 or 12345-6789"),
        ({"country_code": "CA", "region": "", "postal_code": "K1A 0B1"}, "address.region is required for CA addresses"),
        ({"country_code": "AU", "region": "", "postal_code": "2000"}, "address.region is required for AU addresses"),
    ],
)
def test_every_address_error_names_the_field(shipping, changes, field):
    code, details = refusal(get_quote, shipping, to=address(**changes))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and field in details, details


def test_a_missing_address_is_invalid(shipping):
    request = shipping_pb2.GetQuoteRequest(items=items(1), currency_code="USD", subtotal=amount(Decimal(1), "USD"))
    code, details = refusal(shipping.GetQuote, request, timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details == "address is required"


@pytest.mark.parametrize(
    "quantities, message",
    [((), "items must have at least one line"), ((1, 0), "items[1].quantity must be between 1 and 1000, got 0"),
     ((-3,), "items[0].quantity"), ((1,) * 51, "items must have at most 50 lines")],
)
def test_item_errors_name_the_line(shipping, quantities, message):
    code, details = refusal(get_quote, shipping, quantities=quantities)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and message in details, details


def test_an_unsupported_currency_is_invalid_and_named(shipping):
    code, details = refusal(get_quote, shipping, "XYZ", "10.00")
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details == "currency_code 'XYZ' is not one the shop supports"
    code, details = refusal(get_quote, shipping, "eur", "10.00")
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "currency_code must be three capital letters" in details


def test_the_subtotal_must_be_in_the_quotes_currency(shipping):
    code, details = refusal(get_quote, shipping, "EUR", "10.00", subtotal_code="USD")
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == "subtotal must be in EUR (the quote's currency_code), got USD"


@pytest.mark.parametrize(
    "subtotal, message",
    [(None, "subtotal is required"), (money_pb2.Money(currency_code="USD", units=-1), "subtotal must not be negative"),
     (money_pb2.Money(currency_code="USD", units=1, nanos=-5), "subtotal: units and nanos must have the same sign")],
)
def test_a_missing_or_malformed_subtotal_is_invalid(shipping, subtotal, message):
    request = shipping_pb2.GetQuoteRequest(address=address(), items=items(1), currency_code="USD", subtotal=subtotal)
    code, details = refusal(shipping.GetQuote, request, timeout=5)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and message in details, details
