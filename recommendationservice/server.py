"""The recommendation gRPC servicer: protobuf in, domain call, protobuf out. Nothing else."""
from __future__ import annotations

import grpc

from service_runtime.db import DATA_ERRORS, UNAVAILABLE_ERRORS
from shop.recommendation.v1 import recommendation_pb2, recommendation_pb2_grpc

from recommendationservice import errors
from recommendationservice.metrics import SUGGESTED
from recommendationservice.query import parse_query
from recommendationservice.ranking import Reason
from recommendationservice.recommender import Recommender

# The one table from the service's named errors to status codes.
STATUS_BY_ERROR = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.DependencyUnavailable: grpc.StatusCode.UNAVAILABLE,
    **UNAVAILABLE_ERRORS,
    **DATA_ERRORS,
}

REASON_TO_PROTO = {reason: recommendation_pb2.RecommendationReason.Value(f"RECOMMENDATION_REASON_{reason.name}")
                   for reason in Reason}


class RecommendationServicer(recommendation_pb2_grpc.RecommendationServiceServicer):
    def __init__(self, recommender: Recommender):
        self._recommender = recommender

    async def ListRecommendations(self, request, context):
        query = parse_query(list(request.product_ids), request.product_id, request.user_id, request.limit)
        chosen = await self._recommender.recommend(query)
        for recommendation in chosen:
            SUGGESTED.labels(recommendation.reason.name.lower()).inc()
        return recommendation_pb2.ListRecommendationsResponse(recommendations=[
            recommendation_pb2.Recommendation(product=r.product.record, reason=REASON_TO_PROTO[r.reason])
            for r in chosen
        ])
