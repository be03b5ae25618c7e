"""checkoutservice's configuration, read once from the environment.

ABANDONED_CHECKOUT_AFTER_SECONDS is how old a checkout attempt must be before the sweeper
takes it for abandoned (its process died between reserving stock and storing the order).
It must be well above the longest a PlaceOrder can run once it has recorded its attempt:
ReserveStock and Authorize (each bounded by CALL_TIMEOUT_SECONDS, 5 s), storing the order
(the pool's 3 s wait, 5 s per statement), and at worst an undo that tries Void and
ReleaseStock three times each: well under two minutes. The default is five minutes.
Too short is still safe for money (an order can only be stored while its attempt exists,
so a slow checkout that lost its attempt fails and gives back what it took), but a
reservation still on its way when the sweeper releases would stay held.
ABANDONED_CHECKOUT_SWEEP_SECONDS is the pause between two sweeps."""
from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Env, RuntimeConfig

SERVICE_NAME = "checkoutservice"


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    amqp_url: str
    db_pool_size: int
    cart_addr: str
    catalog_addr: str
    shipping_addr: str
    payment_addr: str
    abandoned_after: float    # seconds
    sweep_interval: float     # seconds between two sweeps


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        amqp_url=env.str("AMQP_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        cart_addr=env.address("CART_ADDR"),
        catalog_addr=env.address("CATALOG_ADDR"),
        shipping_addr=env.address("SHIPPING_ADDR"),
        payment_addr=env.address("PAYMENT_ADDR"),
        abandoned_after=env.float("ABANDONED_CHECKOUT_AFTER_SECONDS", 300.0, minimum=1.0),
        sweep_interval=env.float("ABANDONED_CHECKOUT_SWEEP_SECONDS", 30.0, minimum=0.1),
    )
