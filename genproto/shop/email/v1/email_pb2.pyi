import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EmailKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMAIL_KIND_UNSPECIFIED: _ClassVar[EmailKind]
    EMAIL_KIND_ORDER_RECEIVED: _ClassVar[EmailKind]
    EMAIL_KIND_PAYMENT_CONFIRMED: _ClassVar[EmailKind]
    EMAIL_KIND_PAYMENT_FAILED: _ClassVar[EmailKind]
    EMAIL_KIND_SHIPPED: _ClassVar[EmailKind]
    EMAIL_KIND_CANCELLED: _ClassVar[EmailKind]
    EMAIL_KIND_REFUNDED: _ClassVar[EmailKind]
EMAIL_KIND_UNSPECIFIED: EmailKind
EMAIL_KIND_ORDER_RECEIVED: EmailKind
EMAIL_KIND_PAYMENT_CONFIRMED: EmailKind
EMAIL_KIND_PAYMENT_FAILED: EmailKind
EMAIL_KIND_SHIPPED: EmailKind
EMAIL_KIND_CANCELLED: EmailKind
EMAIL_KIND_REFUNDED: EmailKind

class SentEmail(_message.Message):
    __slots__ = ("id", "recipient", "sender", "subject", "kind", "order_id", "event_id", "message_id", "sent_time", "text_body", "html_body")
    ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SENT_TIME_FIELD_NUMBER: _ClassVar[int]
    TEXT_BODY_FIELD_NUMBER: _ClassVar[int]
    HTML_BODY_FIELD_NUMBER: _ClassVar[int]
    id: str
    recipient: str
    sender: str
    subject: str
    kind: EmailKind
    order_id: str
    event_id: str
    message_id: str
    sent_time: _timestamp_pb2.Timestamp
    text_body: str
    html_body: str
    def __init__(self, id: _Optional[str] = ..., recipient: _Optional[str] = ..., sender: _Optional[str] = ..., subject: _Optional[str] = ..., kind: _Optional[_Union[EmailKind, str]] = ..., order_id: _Optional[str] = ..., event_id: _Optional[str] = ..., message_id: _Optional[str] = ..., sent_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text_body: _Optional[str] = ..., html_body: _Optional[str] = ...) -> None: ...

class ListSentEmailsRequest(_message.Message):
    __slots__ = ("recipient", "page_size", "page_token", "order_id", "kind")
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    recipient: str
    page_size: int
    page_token: str
    order_id: str
    kind: EmailKind
    def __init__(self, recipient: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order_id: _Optional[str] = ..., kind: _Optional[_Union[EmailKind, str]] = ...) -> None: ...

class ListSentEmailsResponse(_message.Message):
    __slots__ = ("emails", "next_page_token", "total_size")
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    emails: _containers.RepeatedCompositeFieldContainer[SentEmail]
    next_page_token: str
    total_size: int
    def __init__(self, emails: _Optional[_Iterable[_Union[SentEmail, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class GetSentEmailRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetSentEmailResponse(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: SentEmail
    def __init__(self, email: _Optional[_Union[SentEmail, _Mapping]] = ...) -> None: ...
