from google.api import annotations_pb2 as _annotations_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListSupportedCurrenciesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSupportedCurrenciesResponse(_message.Message):
    __slots__ = ("currency_codes", "rates_date")
    CURRENCY_CODES_FIELD_NUMBER: _ClassVar[int]
    RATES_DATE_FIELD_NUMBER: _ClassVar[int]
    currency_codes: _containers.RepeatedScalarFieldContainer[str]
    rates_date: str
    def __init__(self, currency_codes: _Optional[_Iterable[str]] = ..., rates_date: _Optional[str] = ...) -> None: ...

class ConvertRequest(_message.Message):
    __slots__ = ("to_currency_code",)
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    to_currency_code: str
    def __init__(self, to_currency_code: _Optional[str] = ..., **kwargs) -> None: ...

class ConvertResponse(_message.Message):
    __slots__ = ("money",)
    MONEY_FIELD_NUMBER: _ClassVar[int]
    money: _money_pb2.Money
    def __init__(self, money: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class ConvertManyRequest(_message.Message):
    __slots__ = ("amounts", "to_currency_code")
    AMOUNTS_FIELD_NUMBER: _ClassVar[int]
    TO_CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    amounts: _containers.RepeatedCompositeFieldContainer[_money_pb2.Money]
    to_currency_code: str
    def __init__(self, amounts: _Optional[_Iterable[_Union[_money_pb2.Money, _Mapping]]] = ..., to_currency_code: _Optional[str] = ...) -> None: ...

class ConvertManyResponse(_message.Message):
    __slots__ = ("amounts",)
    AMOUNTS_FIELD_NUMBER: _ClassVar[int]
    amounts: _containers.RepeatedCompositeFieldContainer[_money_pb2.Money]
    def __init__(self, amounts: _Optional[_Iterable[_Union[_money_pb2.Money, _Mapping]]] = ...) -> None: ...
