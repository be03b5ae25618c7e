"""emailservice's own Prometheus metrics (the runtime counts messages and calls)."""
from prometheus_client import Counter

EMAILS = Counter(
    "email_outcomes_total",
    "What became of each email attempt or order event: sent, retrying, failed, duplicate (the event "
    "was handled before) or no_email (the event calls for none).",
    ["outcome"],
)
