"""The cart's business counters (the runtime counts calls and their latency)."""
from prometheus_client import Counter

CHANGES = Counter(
    "shop_cart_changes_total",
    "Cart changes made, by operation (add, set_quantity, remove, empty, merge, subtract); refused calls are not counted.",
    ["operation"],
)
UNITS_ADDED = Counter("shop_cart_units_added_total", "Units of products put into carts by AddItem.")

for _operation in ("add", "set_quantity", "remove", "empty", "merge", "subtract"):  # series from the start: rates begin at 0
    CHANGES.labels(_operation)
