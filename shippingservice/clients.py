"""Outgoing calls: currency conversion through catalogservice's CurrencyService. Each
call has a deadline (the channel's default, see service_runtime.clients), and a
failure becomes one of shipping's named errors, never a trace."""
from __future__ import annotations

from decimal import Decimal

import grpc

from service_runtime import protomoney
from shop.catalog.v1 import currency_pb2, currency_pb2_grpc

from shippingservice.errors import DependencyUnavailable, UnsupportedCurrency

_UNREACHABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class CurrencyClient:
    """The quote's Converter, backed by the catalog's currency service."""

    def __init__(self, channel: grpc.aio.Channel):
        self._stub = currency_pb2_grpc.CurrencyServiceStub(channel)

    async def convert(self, amount: Decimal, from_code: str, to_code: str) -> Decimal:
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
