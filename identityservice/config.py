"""identityservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from service_runtime.config import ConfigError, Env, RuntimeConfig

from identityservice.client_limits import parse_rates
from identityservice.lockout import LockoutPolicy
from identityservice.tokens import TokenPolicy

SERVICE_NAME = "identityservice"
DAY = 86400


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    db_pool_size: int
    tokens: TokenPolicy
    lockout: LockoutPolicy
    # The first admin, created (or given the admin role) at start; "" for none.
    admin_email: str
    # Only used to create that account; kept out of repr so it never reaches a log line.
    admin_password: str = field(repr=False)
    # Whether an existing ordinary account with ADMIN_EMAIL may be given the admin role;
    # without it such an account stops the start, so nobody is promoted unawares.
    admin_promote_existing: bool = False
    # Threads hashing passwords at once (each argon2id hash takes 64 MiB).
    hash_workers: int = 2
    # Password checks one client address may ask for, in limits' notation.
    client_rates: str = "10/second;60/minute"
    # Seconds between housekeeping rounds (housekeeping.py).
    housekeeping_interval: float = 600.0


def load(env: Env | None = None) -> Config:
    env = env or Env()
    admin_email = env.str("ADMIN_EMAIL", "")
    admin_password = env.str("ADMIN_PASSWORD", "")
    if admin_password and not admin_email:
        raise ConfigError("ADMIN_PASSWORD is set but ADMIN_EMAIL is not: set both to create the first admin")
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        tokens=TokenPolicy(
            issuer=env.str("TOKEN_ISSUER", "shop-identity"),
            access_audience=env.str("ACCESS_AUDIENCE", "shop-api"),
            refresh_audience=env.str("REFRESH_AUDIENCE", "shop-refresh"),
            access_ttl_seconds=env.int("ACCESS_TOKEN_TTL_SECONDS", 900, minimum=1, maximum=DAY),
            refresh_ttl_seconds=env.int("REFRESH_TOKEN_TTL_SECONDS", 14 * DAY, minimum=1, maximum=365 * DAY),
        ),
        lockout=LockoutPolicy(
            max_failures=env.int("LOGIN_MAX_FAILURES", 5, minimum=1, maximum=1000),
            window=timedelta(seconds=env.int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1, maximum=DAY)),
            lock=timedelta(seconds=env.int("LOGIN_LOCK_SECONDS", 900, minimum=1, maximum=DAY)),
        ),
        admin_email=admin_email,
        admin_password=admin_password,
        admin_promote_existing=env.flag("ADMIN_PROMOTE_EXISTING", False),
        hash_workers=env.int("PASSWORD_HASH_WORKERS", 2, minimum=1, maximum=32),
        client_rates=_rates(env.str("LOGIN_RATE_PER_CLIENT", "10/second;60/minute")),
        housekeeping_interval=env.float("HOUSEKEEPING_SECONDS", 600.0, minimum=1.0),
    )


def _rates(text: str) -> str:
    try:
        parse_rates(text)
    except ValueError as exc:
        raise ConfigError(f"LOGIN_RATE_PER_CLIENT: {exc}") from None
    return text
