"""emailservice's configuration, read once from the environment."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.errors import HeaderParseError
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from service_runtime.config import ConfigError, Env, RuntimeConfig

SERVICE_NAME = "emailservice"

DEFAULT_SENDER = "The Shop <orders@shop.example>"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
# SMTP_URL's ?starttls=: "auto" upgrades when the server offers it, "always" refuses a
# server that does not, "never" stays in plain text (a local test server).
STARTTLS_MODES = {"auto": None, "always": True, "never": False}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    # Implicit TLS from the first byte (smtps://).
    use_tls: bool = False
    # None: STARTTLS when offered; True: required; False: never.
    start_tls: bool | None = None


@dataclass(frozen=True)
class Config:
    runtime: RuntimeConfig
    database_url: str
    db_pool_size: int
    amqp_url: str
    # None: write .eml files to mail_dir instead.
    smtp: SmtpSettings | None
    mail_dir: Path
    # The From header, e.g. "The Shop <orders@shop.example>".
    sender: str
    # The shop's name as the emails show it.
    shop_name: str
    # Seconds one delivery may take (connect, talk, send) before it counts as failed.
    delivery_timeout: float
    # Backoff between attempts at an email the server did not take: the first retry
    # after retry_min seconds, doubling up to retry_max.
    retry_min: float
    retry_max: float
    # Seconds after which an email still not delivered is given up (marked failed).
    give_up_after: float
    # Seconds between looks for emails due another attempt.
    retry_poll: float


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://[user[:password]@]host[:port][?starttls=auto|always|never] or
    smtps://[user[:password]@]host[:port] (implicit TLS). User and password are
    percent-decoded. Ports default to 25 and 465."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"SMTP_URL is not a valid URL: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ConfigError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ConfigError("SMTP_URL must name a host")
    if parts.path not in ("", "/"):
        raise ConfigError("SMTP_URL takes no path")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - {"starttls"}
    if unknown:
        raise ConfigError(f"SMTP_URL has unknown options: {', '.join(sorted(unknown))} (known: starttls)")
    mode = options.get("starttls", "auto")
    if mode not in STARTTLS_MODES:
        raise ConfigError(f"SMTP_URL starttls must be one of {', '.join(STARTTLS_MODES)}, got {mode!r}")
    if parts.scheme == "smtps" and "starttls" in options:
        raise ConfigError("SMTP_URL: smtps:// is TLS from the start; starttls applies to smtp:// only")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    if password and not username:
        raise ConfigError("SMTP_URL has a password but no user")
    return SmtpSettings(
        host=parts.hostname, port=port or DEFAULT_PORTS[parts.scheme], username=username, password=password,
        use_tls=parts.scheme == "smtps", start_tls=None if parts.scheme == "smtps" else STARTTLS_MODES[mode],
    )


def check_sender(value: str) -> str:
    """A From header value with one plain address in it."""
    _name, address = parseaddr(value)
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError):
        parsed = None
    if parsed is None or not parsed.username or not parsed.domain or "\n" in value or "\r" in value:
        raise ConfigError(f"MAIL_FROM must be an address like {DEFAULT_SENDER!r}, got {value!r}")
    return value


def load(env: Env | None = None) -> Config:
    env = env or Env()
    smtp_url = env.str("SMTP_URL", "")
    retry_min = env.float("EMAIL_RETRY_MIN_SECONDS", 5.0, minimum=0.01)
    retry_max = env.float("EMAIL_RETRY_MAX_SECONDS", 600.0, minimum=0.01)
    if retry_max < retry_min:
        raise ConfigError("EMAIL_RETRY_MAX_SECONDS must be at least EMAIL_RETRY_MIN_SECONDS")
    return Config(
        runtime=RuntimeConfig.from_env(SERVICE_NAME, env),
        database_url=env.str("DATABASE_URL"),
        db_pool_size=env.int("DB_POOL_SIZE", 10, minimum=1, maximum=100),
        amqp_url=env.str("AMQP_URL"),
        smtp=parse_smtp_url(smtp_url) if smtp_url else None,
        mail_dir=Path(env.str("MAIL_DIR", "mail")),
        sender=check_sender(env.str("MAIL_FROM", DEFAULT_SENDER)),
        shop_name=env.str("SHOP_NAME", "The Shop"),
        delivery_timeout=env.float("SMTP_TIMEOUT_SECONDS", 30.0, minimum=0.1),
        retry_min=retry_min,
        retry_max=retry_max,
        give_up_after=env.float("EMAIL_GIVE_UP_SECONDS", 2 * 86400.0, minimum=1.0),
        retry_poll=env.float("EMAIL_RETRY_POLL_SECONDS", 1.0, minimum=0.05),
    )
