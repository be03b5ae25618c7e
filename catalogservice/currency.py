"""Currency conversion over a snapshot of exchange rates. Pure: the snapshot is read
from a file once at start and handed in."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from service_runtime import money

from catalogservice.errors import InvalidArgument, UnsupportedCurrency


@dataclass(frozen=True)
class RateTable:
    """Units of each currency that one unit of the base currency buys."""

    base: str
    date: str
    rates: dict[str, Decimal]

    @classmethod
    def from_json(cls, text: str) -> "RateTable":
        data = json.loads(text, parse_float=Decimal)
        rates = {code: Decimal(str(rate)) for code, rate in data["rates"].items()}
        rates[data["base"]] = Decimal(1)
        for code, rate in rates.items():
            money.check_currency_code(code)
            if rate <= 0:
                raise ValueError(f"rate of {code} must be positive")
        return cls(base=data["base"], date=data["date"], rates=rates)

    @classmethod
    def load(cls, path: Path) -> "RateTable":
        return cls.from_json(path.read_text())

    def codes(self) -> list[str]:
        return sorted(self.rates)

    def convert(self, amount: Decimal, from_code: str, to_code: str) -> Decimal:
        """amount in from_code as to_code, rounded half-even to to_code's minor unit."""
        for code in (from_code, to_code):
            if code not in self.rates:
                raise UnsupportedCurrency(code)
        if abs(amount) > Decimal("1e15"):
            raise InvalidArgument("amount is too large to convert")
        if from_code == to_code:
            return money.round_to_minor_unit(amount, to_code)
        in_base = amount / self.rates[from_code]
        return money.round_to_minor_unit(in_base * self.rates[to_code], to_code)
