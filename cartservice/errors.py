"""What can go wrong with a cart, named. server.py maps each to a status code."""


class CartError(Exception):
    """Base of the cart's named errors; the message is meant for the caller."""


class InvalidArgument(CartError):
    pass


class ProductNotFound(CartError):
    def __init__(self, product_id: str):
        super().__init__(f"product {product_id!r} does not exist")
        self.product_id = product_id


class DependencyUnavailable(CartError):
    """A service the cart needs (the catalog) cannot be reached right now."""


class CouponRefused(CartError):
    """The catalog says the code does not apply to this cart; its words and ErrorInfo pass on."""
    reason = "COUPON_REFUSED"

    def __init__(self, message: str, metadata: dict[str, str]):
        super().__init__(message)
        self.metadata = metadata
