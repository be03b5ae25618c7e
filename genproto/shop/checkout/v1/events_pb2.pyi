import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from shop.checkout.v1 import checkout_pb2 as _checkout_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderPlaced(_message.Message):
    __slots__ = ("event_id", "occur_time", "order_id", "order")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occur_time: _timestamp_pb2.Timestamp
    order_id: str
    order: _checkout_pb2.Order
    def __init__(self, event_id: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ..., order: _Optional[_Union[_checkout_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderStatusChanged(_message.Message):
    __slots__ = ("event_id", "occur_time", "order_id", "previous_status", "status", "order")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occur_time: _timestamp_pb2.Timestamp
    order_id: str
    previous_status: _checkout_pb2.OrderStatus
    status: _checkout_pb2.OrderStatus
    order: _checkout_pb2.Order
    def __init__(self, event_id: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ..., previous_status: _Optional[_Union[_checkout_pb2.OrderStatus, str]] = ..., status: _Optional[_Union[_checkout_pb2.OrderStatus, str]] = ..., order: _Optional[_Union[_checkout_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderCancelled(_message.Message):
    __slots__ = ("event_id", "occur_time", "order_id", "payment_id", "payment_captured", "reason", "cancelled_by_admin", "order")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_CAPTURED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_ADMIN_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occur_time: _timestamp_pb2.Timestamp
    order_id: str
    payment_id: str
    payment_captured: bool
    reason: str
    cancelled_by_admin: bool
    order: _checkout_pb2.Order
    def __init__(self, event_id: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., payment_captured: _Optional[bool] = ..., reason: _Optional[str] = ..., cancelled_by_admin: _Optional[bool] = ..., order: _Optional[_Union[_checkout_pb2.Order, _Mapping]] = ...) -> None: ...
