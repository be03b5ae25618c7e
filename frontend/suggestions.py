"""Suggestions from recommendationservice beside a product, a cart and an order (issue 18):
products bought with these, then popular ones, then same-category ones, each priced in the
visitor's currency. A nicety like the promotions: the call has a 150 ms deadline, and the
page shows without suggestions when the service is slow or down."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

from shop.recommendation.v1 import recommendation_pb2

from frontend import catalog_views
from frontend.clients import BackendError

log = logging.getLogger("frontend.suggestions")

DEADLINE_SECONDS = 0.15
COUNT = 4
TITLES = {
    recommendation_pb2.RECOMMENDATION_REASON_BOUGHT_TOGETHER: "Customers who bought this also bought",
    recommendation_pb2.RECOMMENDATION_REASON_POPULAR: "Popular right now",
    recommendation_pb2.RECOMMENDATION_REASON_SAME_CATEGORY: "More like this",
}


@dataclass(frozen=True)
class Suggestions:
    title: str
    cards: list


def title_for(reasons: list[int], *, plural: bool) -> str:
    """The section's title: what the best suggestion is. Pure."""
    title = TITLES.get(reasons[0], "You may also like") if reasons else ""
    return title.replace("bought this", "bought these") if plural else title


def suggested(backends, currency: str, *, product_ids: Iterable[str] = (), product_id: str = "",
              user_id: str = "") -> Suggestions | None:
    """Products to suggest, priced as the page prices; None when there are none or the
    service cannot answer in time."""
    ids = sorted(set(product_ids))
    try:
        found = list(backends.recommendation.ListRecommendations(recommendation_pb2.ListRecommendationsRequest(
            product_ids=ids, product_id=product_id, user_id=user_id, limit=COUNT),
            timeout=DEADLINE_SECONDS).recommendations)
    except BackendError as error:
        log.info("suggestions left out", extra={"detail": error.message})
        return None
    if not found:
        return None
    prices = catalog_views.price_book(backends.catalog, [r.product.price for r in found], currency)
    return Suggestions(title_for([r.reason for r in found], plural=len(ids) > 1),
                       [catalog_views.card(r.product, prices) for r in found])
