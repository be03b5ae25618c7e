"""The coupons' gRPC servicer (decision 0016): protobuf in, coupon rules and storage,
protobuf out. Also the translation ReserveStock uses for a coupon to redeem."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from service_runtime import money, paging, protomoney
from service_runtime.prototime import to_timestamp
from shop.catalog.v1 import coupons_pb2, coupons_pb2_grpc

from catalogservice import coupons, stock
from catalogservice.coupon_repository import CouponRepository, Redemption, StoredCoupon
from catalogservice.coupons import Coupon, CouponRefused, Discount, Kind, Refusal
from catalogservice.currency import RateTable
from catalogservice.errors import InvalidArgument
from catalogservice.live_catalog import LiveCatalog

MAX_LINES = stock.MAX_LINES
MAX_PROMOTIONS = 10


def _moment(message, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=timezone.utc) if message.HasField(field) else None


def coupon_from_proto(message: coupons_pb2.Coupon) -> Coupon:
    """An admin's coupon, checked (InvalidArgument says what is wrong)."""
    has_amount = message.HasField("amount_off")
    if bool(message.percent_off) == has_amount:
        raise InvalidArgument("a coupon takes either percent_off or amount_off off, one of the two")
    if has_amount:
        value, currency = protomoney.from_proto(message.amount_off)
        kind = Kind.AMOUNT
    else:
        value, currency, kind = Decimal(message.percent_off), "", Kind.PERCENT
    minimum, min_currency = (protomoney.from_proto(message.min_subtotal) if message.HasField("min_subtotal")
                             else (Decimal(0), ""))
    return coupons.check_coupon(Coupon(
        code=coupons.normalized_code(message.code), kind=kind, value=value, currency=currency,
        min_subtotal=minimum, min_currency=min_currency, categories=frozenset(message.categories),
        currencies=frozenset(code.upper() for code in message.currencies),
        valid_from=_moment(message, "valid_from"), valid_until=_moment(message, "valid_until"),
        per_customer_limit=message.per_customer_limit, total_limit=message.total_limit,
        banner=message.banner.strip()))


def coupon_to_proto(stored: StoredCoupon) -> coupons_pb2.Coupon:
    coupon = stored.coupon
    message = coupons_pb2.Coupon(
        code=coupon.code, categories=sorted(coupon.categories), currencies=sorted(coupon.currencies),
        valid_from=to_timestamp(coupon.valid_from), valid_until=to_timestamp(coupon.valid_until),
        per_customer_limit=coupon.per_customer_limit, total_limit=coupon.total_limit,
        redemptions=stored.redemptions, create_time=to_timestamp(stored.created_at), banner=coupon.banner)
    if coupon.kind is Kind.PERCENT:
        message.percent_off = int(coupon.value)
    else:
        message.amount_off.CopyFrom(protomoney.to_proto(coupon.value, coupon.currency))
    if coupon.min_subtotal:
        message.min_subtotal.CopyFrom(protomoney.to_proto(coupon.min_subtotal, coupon.currency or coupon.min_currency))
    return message


def discount_to_proto(found: Discount, currency: str) -> coupons_pb2.Discount:
    return coupons_pb2.Discount(code=found.code, description=found.description,
                                amount=protomoney.to_proto(found.amount, currency))


def redemption_of(code: str, lines, currency: str, customer_id: str) -> Redemption:
    """What a request asks to redeem: its priced lines in its currency (InvalidArgument
    for lines that cannot be priced)."""
    if not lines:
        raise InvalidArgument("a coupon needs the order's priced lines")
    if len(lines) > MAX_LINES:
        raise InvalidArgument(f"at most {MAX_LINES} lines")
    priced: dict[str, tuple[int, Decimal]] = {}
    for line in lines:
        price, line_currency = protomoney.from_proto(line.unit_price)
        if line_currency != currency:
            raise InvalidArgument(f"every line's price must be in the order's currency, {currency}")
        if not line.product_id or line.quantity < 1 or price < 0:
            raise InvalidArgument("every priced line needs a product_id, a quantity of 1 or more and a price")
        quantity, _ = priced.get(line.product_id, (0, price))
        priced[line.product_id] = (quantity + line.quantity, price)
    if len(customer_id) > 200:
        raise InvalidArgument("customer_id takes at most 200 characters")
    return Redemption(coupons.normalized_code(code), customer_id, currency, priced)


def priced_cart(lines, currency: str, products: dict, rates: RateTable) -> dict[str, tuple[int, Decimal]]:
    """The cart's lines priced in `currency` as the shop's pages price them (each unit
    price converted and rounded); products the catalog no longer has are left out."""
    if len(lines) > MAX_LINES:
        raise InvalidArgument(f"at most {MAX_LINES} lines")
    money.check_currency_code(currency)
    priced: dict[str, tuple[int, Decimal]] = {}
    for line in lines:
        if line.quantity < 1:
            raise InvalidArgument("every line needs a quantity of 1 or more")
        product = products.get(line.product_id)
        if product is not None:
            quantity, _ = priced.get(product.id, (0, None))
            priced[product.id] = (quantity + line.quantity, rates.convert(product.price, product.currency, currency))
    return priced


class CouponServicer(coupons_pb2_grpc.CouponServiceServicer):
    def __init__(self, repository: CouponRepository, rates: RateTable, live: LiveCatalog):
        self._repo = repository
        self._rates = rates
        self._live = live  # the products a cart's lines are priced from

    async def CreateCoupon(self, request, context):
        stored = await self._repo.create(coupon_from_proto(request.coupon))
        return coupons_pb2.CreateCouponResponse(coupon=coupon_to_proto(stored))

    async def ListCoupons(self, request, context):
        page = paging.paging(request.page_size, request.page_token)
        found, total = await self._repo.list(page.limit, page.offset)
        return coupons_pb2.ListCouponsResponse(coupons=[coupon_to_proto(c) for c in found],
                                               next_page_token=page.next_token(len(found), total), total_size=total)

    async def DeleteCoupon(self, request, context):
        await self._repo.delete(coupons.normalized_code(request.code))
        return coupons_pb2.DeleteCouponResponse()

    async def ListPromotions(self, request, context):
        if not 0 <= request.limit <= MAX_PROMOTIONS or len(request.categories) > MAX_LINES \
                or len(request.product_ids) > MAX_LINES:
            raise InvalidArgument(f"limit is 1 to {MAX_PROMOTIONS} (0 for 1), with at most {MAX_LINES} categories "
                                  f"and {MAX_LINES} product ids")
        categories = set(request.categories)
        if request.product_ids:
            view = await self._live.view()
            categories.update(c for entry in view.present(list(request.product_ids)) for c in entry.product.categories)
        found = await self._repo.promotions(sorted(categories), request.limit or 1)
        return coupons_pb2.ListPromotionsResponse(promotions=[coupons_pb2.Promotion(code=code, banner=banner)
                                                              for code, banner in found])

    async def PriceCoupon(self, request, context):
        code = coupons.normalized_code(request.coupon_code)
        if len(request.customer_id) > 200:
            raise InvalidArgument("customer_id takes at most 200 characters")
        view = await self._live.view()
        asked = [line.product_id for line in request.lines]
        products = {entry.product.id: entry.product for entry in view.present(asked)}
        priced = priced_cart(request.lines, request.currency_code, products, self._rates)
        if not priced:
            raise CouponRefused(code, Refusal.NOT_APPLICABLE)
        found = await self._repo.price(Redemption(code, request.customer_id, request.currency_code, priced),
                                       rates=self._rates, now=datetime.now(timezone.utc))
        subtotal = sum((price * quantity for quantity, price in priced.values()), Decimal(0))
        return coupons_pb2.PriceCouponResponse(discount=discount_to_proto(found, request.currency_code),
                                               subtotal=protomoney.to_proto(subtotal, request.currency_code))
