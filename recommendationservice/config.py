"""recommendationservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Env, RuntimeConfig

SERVICE_NAME = "recommendationservice"


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    amqp_url: str
    db_pool_size: int
    # Where catalogservice answers: every suggestion is checked there.
    catalog_addr: str
    # Days of sales (today included) that make the best sellers.
    popular_days: int
    # How long a shopper's own order keeps its products out of their suggestions.
    bought_lately_days: int


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        amqp_url=env.str("AMQP_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        catalog_addr=env.address("CATALOG_ADDR"),
        popular_days=env.int("POPULAR_WINDOW_DAYS", 30, minimum=1, maximum=366),
        bought_lately_days=env.int("BOUGHT_LATELY_DAYS", 30, minimum=0, maximum=366),
    )
