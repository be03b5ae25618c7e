"""shippingservice's CurrencyClient keeps each conversion a minute (the zones' amounts are
fixed, and so are the catalog's rates until it restarts) and never keeps a failure. The
catalog is a stand-in channel here; tests/integration/test_shipping_quotes.py converts
through the real one."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import pytest

from service_runtime import protomoney
from shippingservice.clients import MAX_AGE_SECONDS, CurrencyClient
from shippingservice.errors import DependencyUnavailable
from shop.catalog.v1 import currency_pb2
from tests.support.clock import ManualClock


class Unavailable(grpc.aio.AioRpcError):
    def __init__(self):
        super().__init__(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "down")


class Channel:
    """Answers CurrencyService/Convert at twice the amount, recording each request."""

    def __init__(self):
        self.asked: list[tuple[str, str]] = []
        self.down = False

    def unary_unary(self, method, request_serializer=None, response_deserializer=None, _registered_method=None):
        async def call(request, **_):
            money = getattr(request, "from")
            self.asked.append((f"{money.units}.{money.nanos:09d}", request.to_currency_code))
            if self.down:
                raise Unavailable()
            amount, _code = protomoney.from_proto(money)
            return currency_pb2.ConvertResponse(money=protomoney.to_proto(amount * 2, request.to_currency_code))
        return call


def test_each_conversion_is_asked_once_a_minute():
    channel, clock = Channel(), ManualClock(50.0)
    client = CurrencyClient(channel, clock)

    async def convert(amount):
        return await client.convert(Decimal(amount), "USD", "EUR")

    assert asyncio.run(convert("4.5")) == Decimal("9")
    assert asyncio.run(convert("4.5")) == Decimal("9") and len(channel.asked) == 1
    assert asyncio.run(convert("1")) == Decimal("2") and len(channel.asked) == 2
    clock.now += MAX_AGE_SECONDS
    assert asyncio.run(convert("4.5")) == Decimal("9") and len(channel.asked) == 3


def test_a_failed_conversion_is_not_kept():
    channel = Channel()
    client = CurrencyClient(channel, ManualClock(50.0))
    channel.down = True
    with pytest.raises(DependencyUnavailable):
        asyncio.run(client.convert(Decimal("3"), "USD", "EUR"))
    channel.down = False
    assert asyncio.run(client.convert(Decimal("3"), "USD", "EUR")) == Decimal("6") and len(channel.asked) == 2
