"""paymentservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Env, RuntimeConfig

SERVICE_NAME = "paymentservice"


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    db_pool_size: int
    # RabbitMQ: checkout.events comes in, payment.events goes out.
    amqp_url: str


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        amqp_url=env.str("AMQP_URL"),
    )
