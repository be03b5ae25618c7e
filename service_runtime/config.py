"""Configuration from environment variables, read once at start into frozen objects."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from service_runtime.call_log import CallLog

# DESIGN.md's port table: service name -> (gRPC port, HTTP port).
DEFAULT_PORTS: dict[str, tuple[int, int]] = {
    "catalogservice": (50051, 8051),
    "cartservice": (50052, 8052),
    "checkoutservice": (50053, 8053),
    "paymentservice": (50054, 8054),
    "shippingservice": (50055, 8055),
    "emailservice": (50056, 8056),
    "identityservice": (50057, 8057),
    "recommendationservice": (50058, 8058),
}

# Where each service is reached by others: environment variable -> default address.
DEFAULT_ADDRESSES: dict[str, str] = {
    "CATALOG_ADDR": "localhost:50051",
    "CART_ADDR": "localhost:50052",
    "CHECKOUT_ADDR": "localhost:50053",
    "PAYMENT_ADDR": "localhost:50054",
    "SHIPPING_ADDR": "localhost:50055",
    "EMAIL_ADDR": "localhost:50056",
    "IDENTITY_ADDR": "localhost:50057",
    "RECOMMENDATION_ADDR": "localhost:50058",
}


class ConfigError(Exception):
    """A missing or malformed environment variable; the message names it."""


class Env:
    """Typed reads from an environment mapping, each failure naming the variable."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self._environ = os.environ if environ is None else environ

    def str(self, name: str, default: str | None = None) -> str:
        value = self._environ.get(name, "")
        if value:
            return value
        if default is None:
            raise ConfigError(f"{name} is required but not set")
        return default

    def int(self, name: str, default: int, *, minimum: int = 0, maximum: int = 2**31 - 1) -> int:
        raw = self._environ.get(name, "")
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def float(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        raw = self._environ.get(name, "")
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """true/false (also 1/0, yes/no), any case; unset is the default."""
        raw = self._environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("true", "1", "yes"):
            return True
        if raw in ("false", "0", "no"):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def address(self, name: str) -> str:
        return self.str(name, DEFAULT_ADDRESSES[name])


@dataclass(frozen=True)
class RuntimeConfig:
    """What the shared server bootstrap needs, common to every service."""

    service_name: str
    grpc_port: int
    http_port: int
    bind_host: str
    log_level: str
    # Seconds in-flight calls get to finish after SIGTERM.
    shutdown_grace: float
    # Seconds between dependency checks that drive the health status.
    health_interval: float
    # Default deadline, in seconds, of every outgoing call without one.
    call_timeout: float
    # Which calls get an access line: CALL_LOG all (default) | slow | failed, and what
    # counts as slow (CALL_LOG_SLOW_MS). Failed calls always do.
    call_log: CallLog = CallLog()
    # How many X-Forwarded-For entries, from the right, our own proxies wrote (KrakenD: 1);
    # the HTTP facade takes the client from there and ignores anything left of it.
    trusted_proxy_hops: int = 1

    @classmethod
    def from_env(cls, service_name: str, env: Env) -> "RuntimeConfig":
        grpc_port, http_port = DEFAULT_PORTS[service_name]
        return cls(
            service_name=service_name,
            grpc_port=env.int("GRPC_PORT", grpc_port, maximum=65535),
            http_port=env.int("HTTP_PORT", http_port, maximum=65535),
            bind_host=env.str("BIND_HOST", "0.0.0.0"),
            log_level=env.str("LOG_LEVEL", "INFO").upper(),
            shutdown_grace=env.float("SHUTDOWN_GRACE_SECONDS", 10.0),
            health_interval=env.float("HEALTH_INTERVAL_SECONDS", 2.0, minimum=0.1),
            call_timeout=env.float("CALL_TIMEOUT_SECONDS", 5.0, minimum=0.1),
            call_log=call_log(env),
            trusted_proxy_hops=env.int("TRUSTED_PROXY_HOPS", 1, minimum=0, maximum=10),
        )


def call_log(env: Env) -> CallLog:
    """CALL_LOG and CALL_LOG_SLOW_MS, for the services and the website alike."""
    try:
        return CallLog(env.str("CALL_LOG", "all"), env.float("CALL_LOG_SLOW_MS", 250.0))
    except ValueError as exc:
        raise ConfigError(f"CALL_LOG: {exc}") from None
