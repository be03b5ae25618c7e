"""The audit log of admin actions (docs/decisions/0013-audit-log-beside-each-change.md).

A service that carries out admin actions names its admin RPCs in an `AuditLog` over its own
database. The server interceptor records each call to one of them before the handler runs
(outcome PENDING; if that cannot be written, the action is refused) and sets its outcome when
it returns. Who and from where come with the call as gRPC metadata (`caller_of`). The
service also serves its part of the log (`AuditLogServicer`) for the back office."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from service_runtime import client_address, prototime
from shop.audit.v1 import audit_pb2, audit_pb2_grpc

if TYPE_CHECKING:
    import psycopg_pool

log = logging.getLogger("service_runtime.audit")

MIGRATIONS = Path(__file__).parent / "audit_migrations"

ACTOR_KEY = "x-shop-actor"
VIA_KEY = "x-shop-via"
VIAS = ("website", "api")
DIRECT = "grpc"           # a call that named nobody: grpcurl inside the shop's network
PENDING = "PENDING"
DETAILS_LIMIT = 2000
DEFAULT_PAGE, MAX_PAGE = 50, 200
# Fields that name what an action is about, in the order they are looked for.
TARGET_FIELDS = ("id", "product_id", "order_id", "user_id")


class AuditLogUnavailable(Exception):
    """The entry could not be written, so the action is not carried out."""

    def __str__(self) -> str:
        return "the audit log cannot be written right now, so admin actions are refused; try again shortly"


class InvalidEntry(ValueError):
    """A RecordAction or FinishAction the log cannot take (the message says why)."""


class EntryNotFound(LookupError):
    def __str__(self) -> str:
        return f"no audit entry {self.args[0]!r}"


class EntryFinished(Exception):
    def __str__(self) -> str:
        return f"audit entry {self.args[0]!r} already has its outcome"


# What the log's errors are to a caller, merged into every service's error table.
STATUS_BY_ERROR = {
    AuditLogUnavailable: grpc.StatusCode.UNAVAILABLE,
    InvalidEntry: grpc.StatusCode.INVALID_ARGUMENT,
    EntryNotFound: grpc.StatusCode.NOT_FOUND,
    EntryFinished: grpc.StatusCode.FAILED_PRECONDITION,
}


@dataclass(frozen=True)
class Caller:
    actor_id: str
    via: str
    client_address: str


def caller_of(metadata, peer: str) -> Caller:
    """Who made a call and from where, from its metadata: the actor and the way in (a
    "via" other than the known ones counts as a direct call). Pure."""
    values = dict(metadata or ())
    via = values.get(VIA_KEY, "")
    return Caller(actor_id=str(values.get(ACTOR_KEY, ""))[:200], via=via if via in VIAS else DIRECT,
                  client_address=client_address.of_call(metadata, peer))


def metadata_for(actor_id: str, via: str, address: str) -> tuple[tuple[str, str], ...]:
    """The metadata a trusted caller (the website, the facade) sends with an admin call."""
    pairs = [(ACTOR_KEY, actor_id)] if actor_id else []
    pairs.append((VIA_KEY, via))
    if address:
        pairs.append((client_address.FORWARDED_FOR_KEY, address))
    return tuple(pairs)


def admin_methods(service: ServiceDescriptor, *names: str) -> frozenset[str]:
    """The full gRPC names of a service's admin RPCs (a KeyError for a name it lacks)."""
    return frozenset(f"/{service.full_name}/{service.methods_by_name[name].name}" for name in names)


def target_of(*messages: Message | None) -> str:
    """The id of what an action is about: the first message's first id-like field that is
    set, else one a level down (CreateProduct's response: product.id). Pure."""
    for message in messages:
        if message is None:
            continue
        found = _target_in(message) or next(
            (_target_in(value) for field, value in message.ListFields()
             if isinstance(value, Message) and _target_in(value)), "")
        if found:
            return found
    return ""


def _target_in(message: Message) -> str:
    for name in TARGET_FIELDS:
        if name in message.DESCRIPTOR.fields_by_name:
            value = getattr(message, name)
            if isinstance(value, str) and value:
                return value
    return ""


def details_of(request: Message) -> str:
    """The request as one line of JSON, cut at DETAILS_LIMIT characters; a bytes field (an
    uploaded image) as its size. Pure."""
    shown = json_format.MessageToDict(request, preserving_proto_field_name=True)
    for field in request.DESCRIPTOR.fields:
        if field.type == field.TYPE_BYTES and field.name in shown:
            shown[field.name] = f"{len(getattr(request, field.name)):,} bytes"
    text = json.dumps(shown, ensure_ascii=False)
    return text if len(text) <= DETAILS_LIMIT else text[:DETAILS_LIMIT - 1] + "…"


def page_size_of(requested: int) -> int:
    if requested < 0 or requested > MAX_PAGE:
        raise InvalidEntry(f"page_size must be between 1 and {MAX_PAGE} (0 for {DEFAULT_PAGE})")
    return requested or DEFAULT_PAGE


_COLUMNS = ("id, recorded_at, actor_id, via, client_address, service, action, target, details, outcome, "
            "finished_at")


def _database_errors() -> tuple[type[Exception], ...]:
    """What a failed write raises. Imported here, not above: every service's interceptor
    imports this module, and one without a database (the cart) need not load psycopg
    (its libpq and libcrypto are ~4 MB of a process)."""
    import psycopg
    import psycopg_pool

    return psycopg.Error, psycopg_pool.PoolTimeout


class AuditLog:
    """One service's part of the log, in its own database."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool, service: str, methods: Iterable[str] = ()):
        self._pool = pool
        self.service = service
        self.methods = frozenset(methods)   # full gRPC method names: "/pkg.Service/Method"

    def records(self, full_method: str) -> bool:
        return full_method in self.methods

    def entry_id(self, number: int) -> str:
        return f"{self.service}-{number}"

    def number_of(self, entry_id: str) -> int:
        prefix, _, number = entry_id.rpartition("-")
        if prefix != self.service or not number.isdigit():
            raise EntryNotFound(entry_id)
        return int(number)

    async def begin(self, caller: Caller, action: str, target: str, details: str, *,
                    service: str = "") -> audit_pb2.AdminAction:
        """Write the entry, outcome PENDING. `service`: who carries it out, when not this
        service (RecordAction for the website)."""
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    f"""INSERT INTO admin_actions (actor_id, via, client_address, service, action, target, details)
                        VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",
                    (caller.actor_id, caller.via, caller.client_address, service or self.service, action, target,
                     details))
                return self._entry(await cur.fetchone())
        except _database_errors() as exc:
            log.error("admin action refused: its audit entry could not be written",
                      extra={"action": action, "target": target, "actor_id": caller.actor_id, "error": str(exc)})
            raise AuditLogUnavailable() from exc

    async def finish(self, entry_id: str, outcome: str, target: str = "") -> audit_pb2.AdminAction:
        """Set the outcome (and the target, if the entry has none yet)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"""UPDATE admin_actions SET outcome = %s, finished_at = clock_timestamp(),
                           target = CASE WHEN target = '' THEN %s ELSE target END
                     WHERE id = %s AND outcome = %s RETURNING {_COLUMNS}""",
                (outcome, target, self.number_of(entry_id), PENDING))
            row = await cur.fetchone()
            if row is None:
                exists = await (await conn.execute("SELECT 1 FROM admin_actions WHERE id = %s",
                                                   (self.number_of(entry_id),))).fetchone()
                raise EntryFinished(entry_id) if exists else EntryNotFound(entry_id)
            return self._entry(row)

    async def finish_quietly(self, entry: audit_pb2.AdminAction, outcome: str, target: str) -> None:
        """finish, for the interceptor: a failure leaves the entry PENDING ("outcome
        unknown", which is then true) and is logged, never raised over the call's answer."""
        try:
            await self.finish(entry.id, outcome, target)
        except Exception as exc:  # noqa: BLE001 - the action is done; its answer must reach the caller
            log.error("admin action done, its outcome not recorded",
                      extra={"entry": entry.id, "outcome": outcome, "error": str(exc)})

    async def newest(self, before: datetime | None, limit: int) -> list[audit_pb2.AdminAction]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"""SELECT {_COLUMNS} FROM admin_actions
                     WHERE %(before)s::timestamptz IS NULL OR recorded_at < %(before)s
                     ORDER BY recorded_at DESC, id DESC LIMIT %(limit)s""",
                {"before": before, "limit": limit})
            return [self._entry(row) for row in await cur.fetchall()]

    def _entry(self, row) -> audit_pb2.AdminAction:
        (number, recorded_at, actor_id, via, address, service, action, target, details, outcome, finished_at) = row
        return audit_pb2.AdminAction(
            id=self.entry_id(number), recorded_at=prototime.to_timestamp(recorded_at), actor_id=actor_id, via=via,
            client_address=address, service=service, action=action, target=target, details=details,
            outcome=outcome, finished_at=prototime.to_timestamp(finished_at))


class AuditLogServicer(audit_pb2_grpc.AuditLogServiceServicer):
    def __init__(self, audit: AuditLog):
        self._audit = audit

    async def ListActions(self, request, context):
        before = request.before.ToDatetime(tzinfo=timezone.utc) if request.HasField("before") else None
        actions = await self._audit.newest(before, page_size_of(request.page_size))
        return audit_pb2.ListActionsResponse(actions=actions)

    async def RecordAction(self, request, context):
        if not request.action.strip() or len(request.action) > 200:
            raise InvalidEntry("action is required, at most 200 characters")
        if len(request.service) > 200 or len(request.target) > 200:
            raise InvalidEntry("service and target take at most 200 characters")
        caller = caller_of(context.invocation_metadata(), context.peer())
        entry = await self._audit.begin(caller, request.action, request.target, request.details[:DETAILS_LIMIT],
                                        service=request.service)
        return audit_pb2.RecordActionResponse(action=entry)

    async def FinishAction(self, request, context):
        if not request.outcome or len(request.outcome) > 200:
            raise InvalidEntry("outcome is required, at most 200 characters")
        return audit_pb2.FinishActionResponse(action=await self._audit.finish(request.id, request.outcome))

