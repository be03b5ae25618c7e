"""Coupon codes: what a code is, and what it takes off a cart (decision 0016). Pure: the
coupon, the cart's lines in the order's currency, the redemptions so far, the rates and the
time are handed in.

A coupon takes a percentage off, or a fixed amount stated in one currency and converted as
prices are. It may ask for a minimum subtotal (in its own currency, converted too), apply
to some categories only (then the percentage, the minimum and the cap of a fixed amount
count only the lines in them), be valid between two times, and be limited per customer and
in total. Anonymous shoppers have no per-customer limit. A discount never exceeds what it
applies to, and is rounded half-even to the currency's minor unit."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from service_runtime import money

from catalogservice.currency import RateTable
from catalogservice.errors import CatalogError, InvalidArgument

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")
MAX_PERCENT = Decimal(100)
MAX_BANNER = 140
GUEST_PREFIX = "guest:"


class Kind(Enum):
    PERCENT = "percent"
    AMOUNT = "amount"


class Refusal(Enum):
    """Why a code does not apply; each with the words a shopper reads."""
    UNKNOWN = "is not a code we know"
    NOT_YET_VALID = "is not valid yet"
    EXPIRED = "has expired"
    EXHAUSTED = "has been used up"
    CUSTOMER_LIMIT = "has already been used as many times as it may be on your account"
    BELOW_MINIMUM = "needs a larger order"
    NOT_APPLICABLE = "does not apply to anything in this cart"
    WRONG_CURRENCY = "cannot be used in this currency"


class CouponRefused(CatalogError):
    """The code does not apply to this cart now; the message names the code and says why."""
    reason = "COUPON_REFUSED"

    def __init__(self, code: str, why: Refusal, detail: str = ""):
        self.code, self.why = code, why
        self.metadata = {"code": code, "why": why.name}
        super().__init__(f"the code {code} {why.value}{': ' + detail if detail else ''}")


@dataclass(frozen=True)
class Coupon:
    code: str
    kind: Kind
    # PERCENT: 0 < value <= 100. AMOUNT: value in `currency`, more than 0.
    value: Decimal
    currency: str = ""
    min_subtotal: Decimal = Decimal(0)       # in `currency` for AMOUNT, else in `min_currency`
    min_currency: str = ""
    categories: frozenset[str] = frozenset()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    per_customer_limit: int = 0               # 0: no limit
    total_limit: int = 0                      # 0: no limit
    # Only these order currencies; empty: any the rates know.
    currencies: frozenset[str] = field(default_factory=frozenset)
    # What the shop may show shoppers about it; empty: not advertised.
    banner: str = ""


@dataclass(frozen=True)
class Line:
    product_id: str
    categories: frozenset[str]
    quantity: int
    unit_price: Decimal      # in the order's currency


@dataclass(frozen=True)
class Discount:
    code: str
    amount: Decimal          # in the order's currency, what comes off
    applies_to: Decimal      # the subtotal of the lines it counts
    description: str         # "10% off kitchen", "$5.00 off"


def normalized_code(text: str) -> str:
    """A code as typed ("  summer-10 ") as stored ("SUMMER-10"); InvalidArgument if it
    cannot be one."""
    code = text.strip().upper()
    if not CODE.fullmatch(code):
        raise InvalidArgument("a coupon code is 3 to 32 letters, digits and dashes")
    return code


def check_coupon(coupon: Coupon) -> Coupon:
    """A coupon an admin may save; InvalidArgument says what is wrong."""
    normalized_code(coupon.code)
    if coupon.kind is Kind.PERCENT:
        if not 0 < coupon.value <= MAX_PERCENT:
            raise InvalidArgument("a percentage off is more than 0 and at most 100")
    else:
        money.check_currency_code(coupon.currency)
        if coupon.value <= 0 or money.has_sub_minor_precision(coupon.value, coupon.currency):
            raise InvalidArgument(f"an amount off is more than 0, in whole {coupon.currency} minor units")
    if coupon.min_subtotal < 0:
        raise InvalidArgument("the minimum subtotal cannot be negative")
    if coupon.min_subtotal and not (coupon.currency or coupon.min_currency):
        raise InvalidArgument("a minimum subtotal needs its currency")
    if coupon.valid_from and coupon.valid_until and coupon.valid_until <= coupon.valid_from:
        raise InvalidArgument("a coupon must end after it starts")
    if coupon.per_customer_limit < 0 or coupon.total_limit < 0:
        raise InvalidArgument("limits are 0 (none) or more")
    if len(coupon.banner) > MAX_BANNER or any(ord(c) < 32 for c in coupon.banner):
        raise InvalidArgument(f"a banner is one line of at most {MAX_BANNER} characters")
    return coupon


def is_guest(customer_id: str) -> bool:
    return not customer_id or customer_id.startswith(GUEST_PREFIX)


def discount(coupon: Coupon, lines: list[Line], currency: str, *, now: datetime, rates: RateTable,
             customer_id: str = "", customer_uses: int = 0, total_uses: int = 0) -> Discount:
    """What the coupon takes off these lines, in `currency`; CouponRefused says why not."""
    code = coupon.code
    if coupon.currencies and currency not in coupon.currencies:
        raise CouponRefused(code, Refusal.WRONG_CURRENCY, f"it is for {', '.join(sorted(coupon.currencies))}")
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponRefused(code, Refusal.NOT_YET_VALID)
    if coupon.valid_until and now >= coupon.valid_until:
        raise CouponRefused(code, Refusal.EXPIRED)
    if coupon.total_limit and total_uses >= coupon.total_limit:
        raise CouponRefused(code, Refusal.EXHAUSTED)
    if coupon.per_customer_limit and not is_guest(customer_id) and customer_uses >= coupon.per_customer_limit:
        raise CouponRefused(code, Refusal.CUSTOMER_LIMIT)
    counted = [line for line in lines if not coupon.categories or line.categories & coupon.categories]
    if not counted:
        raise CouponRefused(code, Refusal.NOT_APPLICABLE)
    applies_to = sum((line.unit_price * line.quantity for line in counted), Decimal(0))
    minimum = _in(coupon.min_subtotal, coupon.currency or coupon.min_currency, currency, rates, code)
    if minimum and applies_to < minimum:
        raise CouponRefused(code, Refusal.BELOW_MINIMUM, f"at least {minimum} {currency}")
    if coupon.kind is Kind.PERCENT:
        off = money.round_to_minor_unit(applies_to * coupon.value / MAX_PERCENT, currency)
    else:
        off = _in(coupon.value, coupon.currency, currency, rates, code)
    return Discount(code, min(off, applies_to), applies_to, description(coupon))


def _in(amount: Decimal, from_code: str, to_code: str, rates: RateTable, code: str) -> Decimal:
    if not amount:
        return Decimal(0)
    if from_code not in rates.rates or to_code not in rates.rates:
        raise CouponRefused(code, Refusal.WRONG_CURRENCY)
    return rates.convert(amount, from_code, to_code)


def description(coupon: Coupon) -> str:
    """How the discount line reads: "10% off", "5.00 USD off kitchen"."""
    if coupon.kind is Kind.PERCENT:
        value = coupon.value.normalize()
        what = f"{value:f}% off"
    else:
        what = f"{money.round_to_minor_unit(coupon.value, coupon.currency)} {coupon.currency} off"
    if coupon.categories:
        what += " " + ", ".join(sorted(coupon.categories))
    return what
