import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Cart(_message.Message):
    __slots__ = ("owner_id", "items", "expire_time", "coupon_code")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    items: _containers.RepeatedCompositeFieldContainer[CartItem]
    expire_time: _timestamp_pb2.Timestamp
    coupon_code: str
    def __init__(self, owner_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[CartItem, _Mapping]]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_code: _Optional[str] = ...) -> None: ...

class CartItem(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class GetCartRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class GetCartResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...

class AddItemRequest(_message.Message):
    __slots__ = ("owner_id", "product_id", "quantity")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    product_id: str
    quantity: int
    def __init__(self, owner_id: _Optional[str] = ..., product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class AddItemResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...

class SetItemQuantityRequest(_message.Message):
    __slots__ = ("owner_id", "product_id", "quantity")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    product_id: str
    quantity: int
    def __init__(self, owner_id: _Optional[str] = ..., product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class SetItemQuantityResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...

class RemoveItemRequest(_message.Message):
    __slots__ = ("owner_id", "product_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    product_id: str
    def __init__(self, owner_id: _Optional[str] = ..., product_id: _Optional[str] = ...) -> None: ...

class RemoveItemResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...

class EmptyCartRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class EmptyCartResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MergeCartsRequest(_message.Message):
    __slots__ = ("source_owner_id", "target_owner_id")
    SOURCE_OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    source_owner_id: str
    target_owner_id: str
    def __init__(self, source_owner_id: _Optional[str] = ..., target_owner_id: _Optional[str] = ...) -> None: ...

class MergeCartsResponse(_message.Message):
    __slots__ = ("cart", "not_merged")
    CART_FIELD_NUMBER: _ClassVar[int]
    NOT_MERGED_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    not_merged: _containers.RepeatedCompositeFieldContainer[CartItem]
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ..., not_merged: _Optional[_Iterable[_Union[CartItem, _Mapping]]] = ...) -> None: ...

class SubtractItemsRequest(_message.Message):
    __slots__ = ("owner_id", "items", "coupon_code")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    items: _containers.RepeatedCompositeFieldContainer[CartItem]
    coupon_code: str
    def __init__(self, owner_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[CartItem, _Mapping]]] = ..., coupon_code: _Optional[str] = ...) -> None: ...

class SubtractItemsResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...

class ApplyCouponRequest(_message.Message):
    __slots__ = ("owner_id", "coupon_code", "currency_code")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    coupon_code: str
    currency_code: str
    def __init__(self, owner_id: _Optional[str] = ..., coupon_code: _Optional[str] = ..., currency_code: _Optional[str] = ...) -> None: ...

class ApplyCouponResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...

class RemoveCouponRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class RemoveCouponResponse(_message.Message):
    __slots__ = ("cart",)
    CART_FIELD_NUMBER: _ClassVar[int]
    cart: Cart
    def __init__(self, cart: _Optional[_Union[Cart, _Mapping]] = ...) -> None: ...
