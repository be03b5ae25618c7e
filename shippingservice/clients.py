"""Outgoing calls: currency conversion through catalogservice's CurrencyService. Each
call has a deadline (the channel's default, see service_runtime.clients), and a
failure becomes one of shipping's named errors, never a trace.

A quote converts its zone's fixed USD amounts (two or three), and the catalog's rates
change only when it starts with another rates file, so each conversion is kept
MAX_AGE_SECONDS: in a 300-shopper run the quotes' conversions were one gRPC call in
fourteen of the whole shop's (docs/performance.md). A failure is never kept."""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Callable

import grpc
from cachetools import TTLCache

from service_runtime import protomoney
from shop.catalog.v1 import currency_pb2, currency_pb2_grpc

from shippingservice.errors import DependencyUnavailable, UnsupportedCurrency

_UNREACHABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
MAX_AGE_SECONDS = 60.0
MAX_KEPT = 1_000  # zones' amounts times currencies: a few hundred


class CurrencyClient:
    """The quote's Converter, backed by the catalog's currency service."""

    def __init__(self, channel: grpc.aio.Channel, clock: Callable[[], float] = time.monotonic):
        self._stub = currency_pb2_grpc.CurrencyServiceStub(channel)
        self._kept = TTLCache(MAX_KEPT, MAX_AGE_SECONDS, timer=clock)

    async def convert(self, amount: Decimal, from_code: str, to_code: str) -> Decimal:
        key = (amount, from_code, to_code)
        converted = self._kept.get(key)
        if converted is None:
            converted = self._kept[key] = await self._ask(amount, from_code, to_code)
        return converted

    async def _ask(self, amount: Decimal, from_code: str, to_code: str) -> Decimal:
        request = currency_pb2.ConvertRequest(to_currency_code=to_code)
        getattr(request, "from").CopyFrom(protomoney.to_proto(amount, from_code))
        try:
            reply = await self._stub.Convert(request)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _UNREACHABLE:
                raise DependencyUnavailable(
                    "currency conversion is unavailable right now (the catalog's currency service did not answer); "
                    "try again shortly or ask for a quote in USD"
                ) from None
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                # Our amounts are well formed, so the currency is what the catalog refused.
                raise UnsupportedCurrency(to_code) from None
            raise
        converted, code = protomoney.from_proto(reply.money)
        if code != to_code:
            raise RuntimeError(f"the currency service answered in {code}, not {to_code}")
        return converted
