"""The website's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass, field

from service_runtime.call_log import CallLog
from service_runtime.config import DEFAULT_ADDRESSES, Env, call_log

SERVICE_NAME = "frontend"
DEFAULT_HTTP_PORT = 8080
DEFAULT_METRICS_PORT = 8081


@dataclass(frozen=True)
class Config:
    catalog_addr: str
    cart_addr: str
    checkout_addr: str
    shipping_addr: str
    identity_addr: str
    # Signs the session cookie (the signed-in user, the CSRF token); kept out of repr.
    secret_key: str = field(repr=False)
    # Read by the back office's order pages only (a payment, the emails sent).
    payment_addr: str = DEFAULT_ADDRESSES["PAYMENT_ADDR"]
    email_addr: str = DEFAULT_ADDRESSES["EMAIL_ADDR"]
    # Suggestions beside products, carts and orders (frontend/suggestions.py).
    recommendation_addr: str = DEFAULT_ADDRESSES["RECOMMENDATION_ADDR"]
    bind_host: str = "0.0.0.0"
    http_port: int = DEFAULT_HTTP_PORT
    # Prometheus /metrics (all workers summed), apart from the public port.
    metrics_port: int = DEFAULT_METRICS_PORT
    # Gunicorn worker processes; each has its own gRPC channels.
    workers: int = 2
    # Every gRPC call's deadline, in seconds.
    rpc_timeout: float = 5.0
    # X-Forwarded-For entries, from the right, that proxies in front of the website wrote
    # (werkzeug's ProxyFix x_for). 0, the default: the website is reached directly, and the
    # peer is the client whatever a browser sends.
    trusted_proxy_hops: int = 0
    # How long a signed-in session, once identity said it lives, is taken as live without
    # asking again: the bound on how late a password change signs the website out (0: every
    # request asks).
    session_check_seconds: float = 30.0
    default_currency: str = "USD"
    log_level: str = "INFO"
    # Which requests get an access line (CALL_LOG, CALL_LOG_SLOW_MS, as for the services);
    # one answered with 400 or above always does.
    call_log: CallLog = CallLog()
    # The fault flags' file (service_runtime/fault_flags.py) that the back office shows and
    # changes; empty: the back office says flags are not set up here.
    flags_file: str = ""


def load(env: Env | None = None) -> Config:
    env = env or Env()
    return Config(
        catalog_addr=env.address("CATALOG_ADDR"),
        cart_addr=env.address("CART_ADDR"),
        checkout_addr=env.address("CHECKOUT_ADDR"),
        shipping_addr=env.address("SHIPPING_ADDR"),
        identity_addr=env.address("IDENTITY_ADDR"),
        secret_key=env.str("SECRET_KEY"),
        payment_addr=env.address("PAYMENT_ADDR"),
        email_addr=env.address("EMAIL_ADDR"),
        recommendation_addr=env.address("RECOMMENDATION_ADDR"),
        bind_host=env.str("BIND_HOST", "0.0.0.0"),
        http_port=env.int("HTTP_PORT", DEFAULT_HTTP_PORT, minimum=1, maximum=65535),
        metrics_port=env.int("METRICS_PORT", DEFAULT_METRICS_PORT, minimum=1, maximum=65535),
        workers=env.int("WEB_WORKERS", 2, minimum=1, maximum=64),
        rpc_timeout=env.float("RPC_TIMEOUT_SECONDS", 5.0, minimum=0.1),
        trusted_proxy_hops=env.int("TRUSTED_PROXY_HOPS", 0, minimum=0, maximum=10),
        session_check_seconds=env.float("SESSION_CHECK_SECONDS", 30.0, minimum=0.0),
        default_currency=env.str("DEFAULT_CURRENCY", "USD"),
        log_level=env.str("LOG_LEVEL", "INFO"),
        call_log=call_log(env),
        flags_file=env.str("FLAGS_FILE", ""),
    )
