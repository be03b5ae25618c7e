"""catalogservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Env, RuntimeConfig

SERVICE_NAME = "catalogservice"


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    amqp_url: str
    db_pool_size: int
    # Seconds a released stock reservation is kept: it stops a late retry of its order from
    # reserving again, and no retry comes a week later.
    released_reservations_keep: float = 7 * 86400.0


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        amqp_url=env.str("AMQP_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        released_reservations_keep=env.float("RELEASED_RESERVATIONS_KEEP_SECONDS", 7 * 86400.0, minimum=3600.0),
    )
