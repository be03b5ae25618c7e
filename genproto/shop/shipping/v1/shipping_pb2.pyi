import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ShipmentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHIPMENT_STATUS_UNSPECIFIED: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_SHIPPED: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_IN_TRANSIT: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_OUT_FOR_DELIVERY: _ClassVar[ShipmentStatus]
    SHIPMENT_STATUS_DELIVERED: _ClassVar[ShipmentStatus]
SHIPMENT_STATUS_UNSPECIFIED: ShipmentStatus
SHIPMENT_STATUS_SHIPPED: ShipmentStatus
SHIPMENT_STATUS_IN_TRANSIT: ShipmentStatus
SHIPMENT_STATUS_OUT_FOR_DELIVERY: ShipmentStatus
SHIPMENT_STATUS_DELIVERED: ShipmentStatus

class Address(_message.Message):
    __slots__ = ("name", "address_lines", "city", "region", "postal_code", "country_code")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_LINES_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    name: str
    address_lines: _containers.RepeatedScalarFieldContainer[str]
    city: str
    region: str
    postal_code: str
    country_code: str
    def __init__(self, name: _Optional[str] = ..., address_lines: _Optional[_Iterable[str]] = ..., city: _Optional[str] = ..., region: _Optional[str] = ..., postal_code: _Optional[str] = ..., country_code: _Optional[str] = ...) -> None: ...

class ShipmentItem(_message.Message):
    __slots__ = ("product_id", "quantity")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: int
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class QuoteLine(_message.Message):
    __slots__ = ("description", "amount")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    description: str
    amount: _money_pb2.Money
    def __init__(self, description: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("tracking_id", "order_id", "carrier", "status", "address", "items", "ship_time", "estimated_delivery_time", "delivery_time", "events")
    TRACKING_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_DELIVERY_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    tracking_id: str
    order_id: str
    carrier: str
    status: ShipmentStatus
    address: Address
    items: _containers.RepeatedCompositeFieldContainer[ShipmentItem]
    ship_time: _timestamp_pb2.Timestamp
    estimated_delivery_time: _timestamp_pb2.Timestamp
    delivery_time: _timestamp_pb2.Timestamp
    events: _containers.RepeatedCompositeFieldContainer[TrackingEvent]
    def __init__(self, tracking_id: _Optional[str] = ..., order_id: _Optional[str] = ..., carrier: _Optional[str] = ..., status: _Optional[_Union[ShipmentStatus, str]] = ..., address: _Optional[_Union[Address, _Mapping]] = ..., items: _Optional[_Iterable[_Union[ShipmentItem, _Mapping]]] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., estimated_delivery_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., events: _Optional[_Iterable[_Union[TrackingEvent, _Mapping]]] = ...) -> None: ...

class TrackingEvent(_message.Message):
    __slots__ = ("status", "time", "location", "description")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    status: ShipmentStatus
    time: _timestamp_pb2.Timestamp
    location: str
    description: str
    def __init__(self, status: _Optional[_Union[ShipmentStatus, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class GetQuoteRequest(_message.Message):
    __slots__ = ("address", "items", "currency_code", "subtotal")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    address: Address
    items: _containers.RepeatedCompositeFieldContainer[ShipmentItem]
    currency_code: str
    subtotal: _money_pb2.Money
    def __init__(self, address: _Optional[_Union[Address, _Mapping]] = ..., items: _Optional[_Iterable[_Union[ShipmentItem, _Mapping]]] = ..., currency_code: _Optional[str] = ..., subtotal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class GetQuoteResponse(_message.Message):
    __slots__ = ("cost", "breakdown", "zone", "free_shipping_threshold", "min_delivery_days", "max_delivery_days")
    COST_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    FREE_SHIPPING_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MIN_DELIVERY_DAYS_FIELD_NUMBER: _ClassVar[int]
    MAX_DELIVERY_DAYS_FIELD_NUMBER: _ClassVar[int]
    cost: _money_pb2.Money
    breakdown: _containers.RepeatedCompositeFieldContainer[QuoteLine]
    zone: str
    free_shipping_threshold: _money_pb2.Money
    min_delivery_days: int
    max_delivery_days: int
    def __init__(self, cost: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., breakdown: _Optional[_Iterable[_Union[QuoteLine, _Mapping]]] = ..., zone: _Optional[str] = ..., free_shipping_threshold: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., min_delivery_days: _Optional[int] = ..., max_delivery_days: _Optional[int] = ...) -> None: ...

class ShipOrderRequest(_message.Message):
    __slots__ = ("order_id", "address", "items")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    address: Address
    items: _containers.RepeatedCompositeFieldContainer[ShipmentItem]
    def __init__(self, order_id: _Optional[str] = ..., address: _Optional[_Union[Address, _Mapping]] = ..., items: _Optional[_Iterable[_Union[ShipmentItem, _Mapping]]] = ...) -> None: ...

class ShipOrderResponse(_message.Message):
    __slots__ = ("shipment", "newly_shipped")
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    NEWLY_SHIPPED_FIELD_NUMBER: _ClassVar[int]
    shipment: Shipment
    newly_shipped: bool
    def __init__(self, shipment: _Optional[_Union[Shipment, _Mapping]] = ..., newly_shipped: _Optional[bool] = ...) -> None: ...

class TrackShipmentRequest(_message.Message):
    __slots__ = ("tracking_id",)
    TRACKING_ID_FIELD_NUMBER: _ClassVar[int]
    tracking_id: str
    def __init__(self, tracking_id: _Optional[str] = ...) -> None: ...

class TrackShipmentResponse(_message.Message):
    __slots__ = ("shipment",)
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    shipment: Shipment
    def __init__(self, shipment: _Optional[_Union[Shipment, _Mapping]] = ...) -> None: ...

class CancelShipmentRequest(_message.Message):
    __slots__ = ("order_id", "reason")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    reason: str
    def __init__(self, order_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelShipmentResponse(_message.Message):
    __slots__ = ("newly_cancelled",)
    NEWLY_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    newly_cancelled: bool
    def __init__(self, newly_cancelled: _Optional[bool] = ...) -> None: ...
