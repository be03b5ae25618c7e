"""The catalog's gRPC servicers: protobuf in, domain call, protobuf out. Nothing else."""
from __future__ import annotations

from decimal import Decimal

import grpc

from service_runtime import fault_flags, money, paging, protomoney
from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from service_runtime.prototime import to_timestamp
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc, currency_pb2, currency_pb2_grpc

from catalogservice import coupon_server, coupons, errors, images, products, search, stock
from catalogservice.currency import RateTable
from catalogservice.live_catalog import LiveCatalog
from catalogservice.repository import CatalogRepository

# The one table from the catalog's named errors to status codes.
STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    paging.InvalidPage: grpc.StatusCode.INVALID_ARGUMENT,
    money.InvalidMoney: grpc.StatusCode.INVALID_ARGUMENT,
    errors.UnsupportedCurrency: grpc.StatusCode.INVALID_ARGUMENT,
    errors.ProductNotFound: grpc.StatusCode.NOT_FOUND,
    errors.CategoryNotFound: grpc.StatusCode.NOT_FOUND,
    errors.ImageNotFound: grpc.StatusCode.NOT_FOUND,
    errors.ProductExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.CouponExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.CouponNotFound: grpc.StatusCode.NOT_FOUND,
    coupons.CouponRefused: grpc.StatusCode.FAILED_PRECONDITION,
    errors.OutOfStock: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NotEnoughStock: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ReservationConflict: grpc.StatusCode.FAILED_PRECONDITION,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}


def product_to_proto(product: products.Product) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=product.id, name=product.name, description=product.description,
        image_url=product.image_url, price=protomoney.to_proto(product.price, product.currency),
        categories=product.categories, stock=product.stock,
        create_time=to_timestamp(product.created_at), update_time=to_timestamp(product.updated_at),
    )


def product_from_proto(message: catalog_pb2.Product, *, price_required: bool = True) -> products.Product:
    if message.HasField("price"):
        price, currency = protomoney.from_proto(message.price)
    elif price_required:
        raise errors.InvalidArgument("price is required")
    else:  # an update that leaves the price alone
        price, currency = Decimal(0), products.CATALOG_CURRENCY
    return products.Product(
        id=message.id, name=message.name, description=message.description,
        image_url=message.image_url, price=price, currency=currency,
        categories=tuple(message.categories), stock=message.stock,
    )


def given_fields(message: catalog_pb2.Product) -> list[str]:
    """The writable fields a product message sets (AIP-134's implied mask for an update
    without one): a price that is present, and any other field that is not empty or 0.
    So setting a field to empty or 0 takes a mask (the HTTP API makes one from the body)."""
    given = {"name": message.name, "description": message.description, "image_url": message.image_url,
             "price": message.HasField("price"), "categories": len(message.categories), "stock": message.stock}
    return [name for name in products.UPDATABLE_FIELDS if given[name]]


# The catalogLatency fault flag: reads of products and categories wait first.
slowed = fault_flags.slowed_by("catalogLatency")


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    """Reads come from the live read model (each product's message built once); writes go
    to the repository, and what they touched is refreshed before the reply."""

    def __init__(self, repository: CatalogRepository, live: LiveCatalog, rates: RateTable):
        self._repo = repository
        self._live = live
        self._rates = rates  # a coupon's fixed amount and minimum, converted as prices are

    @slowed
    async def ListProducts(self, request, context):
        page = paging.paging(request.page_size, request.page_token)
        found, total = (await self._live.view()).listing(page, request.category)
        return catalog_pb2.ListProductsResponse(
            products=[e.message for e in found],
            next_page_token=page.next_token(len(found), total), total_size=total,
        )

    @slowed
    async def GetProduct(self, request, context):
        [entry] = (await self._live.view()).get([products.check_id(request.id)])
        return catalog_pb2.GetProductResponse(product=entry.message)

    @slowed
    async def BatchGetProducts(self, request, context):
        found = (await self._live.view()).get(products.check_ids(list(request.ids)))
        return catalog_pb2.BatchGetProductsResponse(products=[e.message for e in found])

    @slowed
    async def SearchProducts(self, request, context):
        tsquery = search.build_tsquery(request.query)
        page = paging.paging(request.page_size, request.page_token)
        found, total = await self._repo.search(tsquery, page)
        return catalog_pb2.SearchProductsResponse(
            products=[product_to_proto(p) for p in found],
            next_page_token=page.next_token(len(found), total), total_size=total,
        )

    @slowed
    async def ListRelatedProducts(self, request, context):
        limit = paging.paging(request.page_size, "", default=4, maximum=20).limit
        found = (await self._live.view()).related(products.check_id(request.id), limit)
        return catalog_pb2.ListRelatedProductsResponse(products=[e.message for e in found])

    @slowed
    async def ListCategories(self, request, context):
        return catalog_pb2.ListCategoriesResponse(
            categories=[
                catalog_pb2.Category(slug=c.slug, name=c.name, product_count=c.product_count)
                for c in (await self._live.view()).categories()
            ]
        )

    async def CreateProduct(self, request, context):
        product = products.new_product(product_from_proto(request.product))
        created = await self._repo.create(product)
        await self._live.refresh([created.id])
        return catalog_pb2.CreateProductResponse(product=product_to_proto(created))

    async def UpdateProduct(self, request, context):
        paths = list(request.update_mask.paths) or given_fields(request.product)
        if not paths:
            raise errors.InvalidArgument("nothing to change: give a field, or name the fields in update_mask")
        changes = product_from_proto(request.product, price_required="price" in paths)
        updated = await self._repo.update(
            products.check_id(request.product.id),
            lambda current: products.apply_update(current, changes, paths),
        )
        await self._live.refresh([updated.id])
        return catalog_pb2.UpdateProductResponse(product=product_to_proto(updated))

    async def DeleteProduct(self, request, context):
        product_id = products.check_id(request.id)
        await self._repo.delete(product_id)
        await self._live.refresh([product_id])
        return catalog_pb2.DeleteProductResponse()

    async def UploadProductImage(self, request, context):
        content_type, extension = images.kind_of(request.data, request.content_type)
        name = images.name_for(request.data, extension)
        await self._repo.store_image(name, content_type, request.data)
        return catalog_pb2.UploadProductImageResponse(image_url=images.URL_PREFIX + name, content_type=content_type,
                                                      size_bytes=len(request.data))

    async def GetProductImage(self, request, context):
        content_type, data = await self._repo.image(images.check_name(request.name))
        return catalog_pb2.GetProductImageResponse(content_type=content_type, data=data)

    async def AdjustStock(self, request, context):
        product_id = products.check_id(request.product_id)
        stock.check_adjustment(request.delta, request.reason)
        adjusted = await self._repo.adjust_stock(product_id, request.delta)
        await self._live.refresh([product_id])
        return catalog_pb2.AdjustStockResponse(product=product_to_proto(adjusted))

    async def ListStockLevels(self, request, context):
        ids = stock.check_product_ids(list(request.product_ids))
        found = await self._repo.load_products(ids)
        held = await self._repo.stock_held(list(found))
        return catalog_pb2.ListStockLevelsResponse(levels=[
            catalog_pb2.StockLevel(product_id=pid, available=found[pid].stock, reserved=held.get(pid, (0, 0))[0],
                                   holding_orders=held.get(pid, (0, 0))[1])
            for pid in ids if pid in found])

    async def ReserveStock(self, request, context):
        order_id = stock.check_order_id(request.order_id)
        lines = stock.reservation_lines([(line.product_id, line.quantity) for line in request.lines])
        redemption = (coupon_server.redemption_of(request.coupon_code, request.priced_lines, request.currency_code,
                                                  request.customer_id) if request.coupon_code else None)
        newly_reserved, found = await self._repo.reserve(order_id, lines, redemption, rates=self._rates)
        if newly_reserved:
            await self._live.refresh(lines)
        reply = catalog_pb2.ReserveStockResponse(newly_reserved=newly_reserved)
        if found is not None:
            reply.discount.CopyFrom(coupon_server.discount_to_proto(found, request.currency_code))
        return reply

    async def ReleaseStock(self, request, context):
        released = await self._repo.release(stock.check_order_id(request.order_id))
        await self._live.refresh(released)
        return catalog_pb2.ReleaseStockResponse(released=bool(released))


MAX_CONVERSIONS = 100


def uploaded_images(repository: CatalogRepository):
    """The HTTP facade's fallback under /images: an uploaded image ("products/u-….png")
    from the database, so the API's image URLs work for uploads as for the shipped files."""

    async def load(name: str) -> tuple[str, bytes] | None:
        folder, _, file = name.partition("/")
        if folder != "products" or not images.NAME.fullmatch(file):
            return None
        try:
            return await repository.image(file)
        except errors.ImageNotFound:
            return None

    return load


class CurrencyServicer(currency_pb2_grpc.CurrencyServiceServicer):
    def __init__(self, rates: RateTable):
        self._rates = rates

    async def ListSupportedCurrencies(self, request, context):
        return currency_pb2.ListSupportedCurrenciesResponse(
            currency_codes=self._rates.codes(), rates_date=self._rates.date
        )

    async def Convert(self, request, context):
        if not request.HasField("from"):
            raise errors.InvalidArgument("from (the amount to convert) is required")
        amount, code = protomoney.from_proto(getattr(request, "from"))
        target = money.check_currency_code(request.to_currency_code)
        converted = self._rates.convert(amount, code, target)
        return currency_pb2.ConvertResponse(money=protomoney.to_proto(converted, target))

    async def ConvertMany(self, request, context):
        if len(request.amounts) > MAX_CONVERSIONS:
            raise errors.InvalidArgument(f"at most {MAX_CONVERSIONS} amounts at once")
        target = money.check_currency_code(request.to_currency_code)
        self._rates.convert(Decimal(0), target, target)  # an unsupported target is named as such
        converted = []
        for index, amount in enumerate(request.amounts):
            try:
                value, code = protomoney.from_proto(amount)
                converted.append(protomoney.to_proto(self._rates.convert(value, code, target), target))
            except (money.InvalidMoney, errors.CatalogError) as exc:
                raise errors.InvalidArgument(f"amounts[{index}]: {exc}") from None
        return currency_pb2.ConvertManyResponse(amounts=converted)
