"""cartservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from service_runtime.config import Env, RuntimeConfig

SERVICE_NAME = "cartservice"
THREE_HOURS = 3 * 60 * 60


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    redis_url: str
    # Seconds a cart lives after its last change.
    cart_ttl_seconds: int
    # Seconds a Redis command may take before the call fails with UNAVAILABLE.
    redis_timeout: float
    catalog_addr: str


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        redis_url=env.str("REDIS_URL"),
        cart_ttl_seconds=env.int("CART_TTL_SECONDS", THREE_HOURS, minimum=1),
        redis_timeout=env.float("REDIS_TIMEOUT_SECONDS", 1.0, minimum=0.05),
        catalog_addr=env.address("CATALOG_ADDR"),
    )
