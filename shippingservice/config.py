"""shippingservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Env, RuntimeConfig

SERVICE_NAME = "shippingservice"


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    amqp_url: str
    db_pool_size: int
    # Where catalogservice's CurrencyService answers.
    catalog_addr: str
    # How many seconds a delivery day lasts: 86400 for real days, a few seconds to
    # watch a parcel travel in a demo or a test.
    day_seconds: float


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        amqp_url=env.str("AMQP_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        catalog_addr=env.address("CATALOG_ADDR"),
        day_seconds=env.float("SHIPPING_DAY_SECONDS", 86400.0, minimum=0.001),
    )
