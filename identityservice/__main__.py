"""Start identityservice: config -> database (migrated) -> repository, password hasher ->
accounts (and the configured first admin) -> servicer -> servers; stop in order on
SIGTERM/SIGINT."""
from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service_runtime import audit, db
from service_runtime.config import ConfigError
from service_runtime.host import GrpcService, ServiceHost, run, serve_until_signalled
from service_runtime.jsonlog import configure_logging
from shop.identity.v1 import identity_pb2, identity_pb2_grpc

from identityservice import config as identity_config
from identityservice.accounts import Accounts
from identityservice.client_limits import ClientLimits, parse_rates
from identityservice.errors import AdminPasswordRequired, AdminWouldBePromoted, InvalidArgument
from identityservice.hashing import Argon2Hasher, return_hash_memory
from identityservice.housekeeping import Housekeeping
from identityservice.repository import IdentityRepository
from identityservice.server import STATUS_BY_ERROR, IdentityServicer

HERE = Path(__file__).parent
# Recorded in the audit log (docs/decisions/0013).
ADMIN_METHODS = audit.admin_methods(identity_pb2.DESCRIPTOR.services_by_name["IdentityService"],
                                    "SetUserRoles", "LockUser", "UnlockUser")
log = logging.getLogger("identityservice")


async def ensure_first_admin(accounts: Accounts, email: str, password: str, *, promote_existing: bool) -> None:
    """ADMIN_EMAIL's account gets the admin role; a configuration that cannot do that
    stops the start with a message naming the variable (never showing the password)."""
    try:
        outcome = await accounts.ensure_admin(email, password, promote_existing=promote_existing)
    except (AdminPasswordRequired, AdminWouldBePromoted) as exc:
        raise ConfigError(str(exc)) from None
    except InvalidArgument as exc:
        raise ConfigError(str(exc) if exc.field == "ADMIN_EMAIL" else f"ADMIN_PASSWORD: {exc}") from None
    log.info("first admin: " + outcome.value, extra={"admin_email": email})


async def main() -> None:
    config = identity_config.load()
    configure_logging(identity_config.SERVICE_NAME, config.runtime.log_level)
    await db.migrate_when_reachable(config.runtime, config.database_url, audit.MIGRATIONS, HERE / "migrations")
    pool = await db.open_pool(config.database_url, max_size=config.db_pool_size)
    executor = ThreadPoolExecutor(max_workers=config.hash_workers, thread_name_prefix="argon2")
    try:
        return_hash_memory()
        hasher = Argon2Hasher(executor)
        repository = IdentityRepository(pool)
        accounts = Accounts(
            repository, hasher, token_policy=config.tokens, lockout_policy=config.lockout,
            # A hash of a password nobody knows, made with the current parameters.
            dummy_hash=await hasher.hash(secrets.token_urlsafe(32)),
        )
        if config.admin_email:
            await ensure_first_admin(accounts, config.admin_email, config.admin_password,
                                     promote_existing=config.admin_promote_existing)
        host = ServiceHost(
            config.runtime,
            [
                GrpcService(
                    identity_pb2.DESCRIPTOR.services_by_name["IdentityService"],
                    IdentityServicer(accounts, ClientLimits(parse_rates(config.client_rates))),
                    identity_pb2_grpc.add_IdentityServiceServicer_to_server,
                ),
            ],
            checks={"postgres": db.pool_check(pool)},
            error_table=STATUS_BY_ERROR,
            audit_log=audit.AuditLog(pool, identity_config.SERVICE_NAME, ADMIN_METHODS),
            workers=[Housekeeping(repository, config.lockout, interval=config.housekeeping_interval)],
        )
        await serve_until_signalled(host)
    finally:
        await pool.close()
        executor.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    run(main)
