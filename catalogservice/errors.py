"""What can go wrong in the catalog, named. server.py maps each to a status code; a
`reason` and `metadata` become the status's google.rpc.ErrorInfo."""


class CatalogError(Exception):
    """Base of the catalog's named errors; the message is meant for the caller."""


class InvalidArgument(CatalogError):
    pass


class ProductNotFound(CatalogError):
    reason = "PRODUCT_NOT_FOUND"

    def __init__(self, product_id: str):
        super().__init__(f"product {product_id!r} does not exist")
        self.product_id = product_id
        self.metadata = {"product_id": product_id}


class CategoryNotFound(CatalogError):
    def __init__(self, slug: str):
        super().__init__(f"category {slug!r} does not exist")
        self.slug = slug


class ImageNotFound(CatalogError):
    def __init__(self, name: str):
        super().__init__(f"no uploaded image {name!r}")


class NotEnoughStock(CatalogError):
    def __init__(self, name: str, available: int, taking: int):
        super().__init__(f"{name} has {available} available: {taking} cannot be taken off")


class CouponExists(CatalogError):
    def __init__(self, code: str):
        super().__init__(f"a coupon {code} already exists (ended coupons keep their code); choose another code")


class CouponNotFound(CatalogError):
    def __init__(self, code: str):
        super().__init__(f"there is no coupon {code}")


class ProductExists(CatalogError):
    def __init__(self, product_id: str):
        super().__init__(f"a product with id {product_id!r} already exists (deleted products keep their id); choose another id")
        self.product_id = product_id


class OutOfStock(CatalogError):
    reason = "OUT_OF_STOCK"

    def __init__(self, product_id: str, name: str, requested: int, available: int):
        super().__init__(f"{name} is out of stock: {requested} requested, {available} available")
        self.product_id = product_id
        self.available = available
        self.metadata = {"product_id": product_id, "available": str(available)}


class ReservationConflict(CatalogError):
    """A reservation for this order exists with other lines, or was already released."""


class UnsupportedCurrency(CatalogError):
    def __init__(self, code: str):
        super().__init__(f"currency {code!r} is not supported")
        self.code = code
