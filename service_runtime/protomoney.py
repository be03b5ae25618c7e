"""google.type.Money messages <-> (Decimal, currency code)."""
from __future__ import annotations

from decimal import Decimal

from google.type import money_pb2

from service_runtime import money


def to_proto(amount: Decimal, currency_code: str) -> money_pb2.Money:
    units, nanos = money.to_units_nanos(amount)
    return money_pb2.Money(currency_code=currency_code, units=units, nanos=nanos)


def from_proto(message: money_pb2.Money) -> tuple[Decimal, str]:
    """The exact amount and code; InvalidMoney if the message breaks the type's rules."""
    code = money.check_currency_code(message.currency_code)
    return money.from_units_nanos(message.units, message.nanos), code
