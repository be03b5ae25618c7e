"""checkout's business counters: the order funnel and the abandoned-checkout sweeper
(the runtime counts calls and latency)."""
from prometheus_client import Counter

from checkoutservice.abandonment import Outcome
from checkoutservice.orders import Status

ORDERS = Counter(
    "shop_orders_total",
    "Orders that entered each status (PLACED, PAID, SHIPPED, ...), counted when the change commits.",
    ["status"],
)
REFUSALS = Counter(
    "shop_checkout_refusals_total",
    "PlaceOrder calls refused for the customer's reasons (CART_EMPTY, OUT_OF_STOCK, CARD_DECLINED, ...).",
    ["reason"],
)
ORDER_VALUE = Counter(
    "shop_order_value_total",
    "The value of placed orders (items and shipping), in units of their currency.",
    ["currency"],
)

ABANDONED = Counter(
    "shop_checkout_abandoned_total",
    "Abandoned checkouts the sweeper handled, by outcome (released, order_exists, needs_attention, failed); "
    "a failed or needs_attention attempt is counted again at each sweep that retries it.",
    ["outcome"],
)

for _status in Status:  # every status has a series from the start, so rates begin at 0
    ORDERS.labels(_status.value)
for _outcome in Outcome:
    ABANDONED.labels(_outcome.value)
