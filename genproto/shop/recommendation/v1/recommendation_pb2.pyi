from google.api import annotations_pb2 as _annotations_pb2
from shop.catalog.v1 import catalog_pb2 as _catalog_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecommendationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOMMENDATION_REASON_UNSPECIFIED: _ClassVar[RecommendationReason]
    RECOMMENDATION_REASON_BOUGHT_TOGETHER: _ClassVar[RecommendationReason]
    RECOMMENDATION_REASON_POPULAR: _ClassVar[RecommendationReason]
    RECOMMENDATION_REASON_SAME_CATEGORY: _ClassVar[RecommendationReason]
RECOMMENDATION_REASON_UNSPECIFIED: RecommendationReason
RECOMMENDATION_REASON_BOUGHT_TOGETHER: RecommendationReason
RECOMMENDATION_REASON_POPULAR: RecommendationReason
RECOMMENDATION_REASON_SAME_CATEGORY: RecommendationReason

class ListRecommendationsRequest(_message.Message):
    __slots__ = ("product_ids", "product_id", "user_id", "limit")
    PRODUCT_IDS_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    product_ids: _containers.RepeatedScalarFieldContainer[str]
    product_id: str
    user_id: str
    limit: int
    def __init__(self, product_ids: _Optional[_Iterable[str]] = ..., product_id: _Optional[str] = ..., user_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListRecommendationsResponse(_message.Message):
    __slots__ = ("recommendations",)
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    recommendations: _containers.RepeatedCompositeFieldContainer[Recommendation]
    def __init__(self, recommendations: _Optional[_Iterable[_Union[Recommendation, _Mapping]]] = ...) -> None: ...

class Recommendation(_message.Message):
    __slots__ = ("product", "reason")
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    product: _catalog_pb2.Product
    reason: RecommendationReason
    def __init__(self, product: _Optional[_Union[_catalog_pb2.Product, _Mapping]] = ..., reason: _Optional[_Union[RecommendationReason, str]] = ...) -> None: ...
