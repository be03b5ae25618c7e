"""recommendationservice's own Prometheus metrics (the runtime counts calls and messages)."""
from prometheus_client import Counter

SUGGESTED = Counter(
    "shop_recommendations_total",
    "Products suggested, by why: bought_together, popular or same_category (the last resort, when the "
    "sales say too little).",
    ["reason"],
)
LEARNT = Counter(
    "shop_recommendation_events_total",
    "Order events the recommender learnt from: a shipped order counted as a sale, or a placed order noted as "
    "its shopper's purchase; duplicate when the event (or, for a sale, the order) was counted before.",
    ["event", "outcome"],
)
