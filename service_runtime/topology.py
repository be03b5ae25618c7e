"""Who listens to which exchange: the shop's event wiring, in one place.

Both sides declare it. Consumers declare their own queues; the outbox relay declares
every queue bound to an exchange before it first publishes there, because a fanout
exchange drops what no queue is bound to yet, and on a fresh broker the consumer may not
have started. So no event is lost, whatever order the services start in."""
from service_runtime.messaging import Subscription

CHECKOUT_EVENTS = "checkout.events"
PAYMENT_EVENTS = "payment.events"
SHIPPING_EVENTS = "shipping.events"

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("payment", CHECKOUT_EVENTS),    # capture, void or refund
    Subscription("shipping", CHECKOUT_EVENTS),   # ship when paid, cancel when cancelled
    Subscription("email", CHECKOUT_EVENTS),      # every email the customer gets
    Subscription("catalog", CHECKOUT_EVENTS),    # give stock back
    Subscription("recommendation", CHECKOUT_EVENTS),  # learn what sells, and what sells together
    Subscription("checkout", PAYMENT_EVENTS),    # PAID, PAYMENT_FAILED, REFUNDED
    Subscription("checkout", SHIPPING_EVENTS),   # SHIPPED
)


def subscriptions_of(exchange: str) -> list[Subscription]:
    return [s for s in SUBSCRIPTIONS if s.exchange == exchange]
