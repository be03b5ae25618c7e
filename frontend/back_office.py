"""The back office, /admin: for accounts with the admin role only, asked of identity on
every request and action (a customer gets a 403 page, an anonymous visitor the sign-in
page). Every form carries the CSRF token, as all of the website's forms do.

What it holds so far: the fault flags (docs/fault-flags.md), each with its state and a form
that changes it in the flags' one file, which every process and replica watches
(docs/decisions/0012); and the users, a page at a time, searched by part of an email or
name, with the admin role granted or revoked and the account locked or unlocked (identity
keeps an admin who can sign in: docs/decisions/0014). Each change is logged as an admin
action: who, what, and from where."""
from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session

from service_runtime import fault_flags
from service_runtime.transcoding import http_status
from shop.audit.v1 import audit_pb2
from shop.identity.v1 import identity_pb2

from frontend import backends
from frontend.account import login_url
from frontend import audit_trail
from frontend.account_views import sentence
from frontend.clients import AUDITED, BackendError, NotFound, Refused
from frontend.visitor import signed_in_user_id

log = logging.getLogger("frontend.admin")

bp = Blueprint("back_office", __name__, url_prefix="/admin")

ADMIN_ROLE = "admin"
USERS_PER_PAGE = 20


@bp.before_request
def admins_only():
    """The role, from identity, before every page and action of the back office."""
    user_id = signed_in_user_id()
    if not user_id:
        return redirect(login_url(request.path))
    try:
        user = backends().identity.GetProfile(identity_pb2.GetProfileRequest(user_id=user_id)).user
    except NotFound:
        session.clear()
        return redirect(login_url(request.path))
    if user.locked:  # its sessions have ended; CheckSession may not have been asked yet
        session.clear()
        return redirect(login_url(request.path))
    if ADMIN_ROLE not in user.roles:
        log.warning("back office refused to a customer", extra={"user_id": user_id, "path": request.path})
        return render_template("errors/403.html"), 403
    g.admin = user
    return None


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def index():
    return render_template("admin/index.html")


@dataclass(frozen=True)
class FlagRow:
    name: str
    meaning: str
    on: bool
    value: str          # as the form shows it
    kind: str           # "switch", "share", "milliseconds" or "names"
    demo_value: str     # what "on" sets


_KINDS = {bool: "switch", float: "share", int: "milliseconds", str: "names"}


def flag_rows(values: dict) -> list[FlagRow]:
    """Each flag as the page shows it. Pure."""
    rows = []
    for flag in fault_flags.FLAGS:
        value = values[flag.name]
        shown = "" if isinstance(value, bool) else str(value)
        rows.append(FlagRow(flag.name, flag.meaning, value != flag.off, shown, _KINDS[type(flag.off)],
                            str(flag.on).lower() if isinstance(flag.on, bool) else str(flag.on)))
    return rows


def _flags_path() -> Path | None:
    configured = current_app.config["SHOP"].flags_file
    return Path(configured) if configured else None


@bp.get("/flags")
def flags():
    path = _flags_path()
    rows = flag_rows(fault_flags.read(path)) if path else []
    return render_template("admin/flags.html", rows=rows, configured=path is not None)


@bp.post("/flags/<name>")
def change_flag(name: str):
    flag = fault_flags.BY_NAME.get(name)
    path = _flags_path()
    if flag is None:
        abort(404)
    if path is None:
        abort(400, "Fault flags are not set up here (FLAGS_FILE).")
    action = request.form.get("action", "")
    try:
        if action == "off":
            value = flag.off
        elif action == "on":
            value = flag.on
        elif action == "set":
            value = flag.parse(request.form.get("value", ""))
        else:
            abort(400, "Choose on, off or a value.")
    except ValueError as exc:
        flash(f"{name}: {exc}.", "error")
        return redirect("/admin/flags", 303)
    with _recorded("set fault flag", name, {"value": value}):
        fault_flags.write(path, {name: value})
    admin_action("set fault flag", flag=name, flag_value=value)
    state = "off" if value == flag.off else "on" if isinstance(value, bool) else f"on ({value})"
    flash(f"{name} is {state}: every process sees it within a second.")
    return redirect("/admin/flags", 303)


@contextlib.contextmanager
def _recorded(action: str, target: str, details: dict):
    """An action the website carries out itself, in the audit log (identity's part of it):
    written before (an unreachable log stops the action with the 503 page), its outcome
    after. The services record the actions they carry out themselves (decision 0013)."""
    log_of = backends().audit_logs["identity"]
    entry = log_of.RecordAction(audit_pb2.RecordActionRequest(
        service="frontend", action=action, target=target, details=json.dumps(details))).action
    outcome = "INTERNAL"
    try:
        yield
        outcome = "OK"
    finally:
        try:
            log_of.FinishAction(audit_pb2.FinishActionRequest(id=entry.id, outcome=outcome))
        except BackendError as exc:
            log.error("admin action done, its outcome not recorded", extra={"entry": entry.id, "error": str(exc)})


def admin_action(action: str, **what) -> None:
    log.warning("admin action", extra={"action": action, **what, "admin": g.admin.email, "admin_id": g.admin.id,
                                       "client": request.remote_addr})


@dataclass(frozen=True)
class UserRow:
    id: str
    email: str
    display_name: str
    roles: str          # as the page shows them
    is_admin: bool
    locked: bool
    locked_on: str      # "3 March 2025", while locked
    lock_reason: str


def user_row(user: identity_pb2.User) -> UserRow:
    """One account as the users page shows it. Pure."""
    locked_on = ""
    if user.locked and user.HasField("lock_time"):
        moment = user.lock_time.ToDatetime(tzinfo=timezone.utc)
        locked_on = f"{moment.day} {moment:%B %Y}"
    return UserRow(id=user.id, email=user.email, display_name=user.display_name, roles=", ".join(user.roles),
                   is_admin=ADMIN_ROLE in user.roles, locked=user.locked, locked_on=locked_on,
                   lock_reason=user.lock_reason)


def users_url(query: str, page_token: str = "") -> str:
    """The users page for a search and a page of it. Pure."""
    params = {name: value for name, value in (("q", query), ("page", page_token)) if value}
    return "/admin/users" + ("?" + urlencode(params) if params else "")


@bp.get("/users")
def users():
    query, page_token = request.args.get("q", "").strip(), request.args.get("page", "")
    try:
        listing = backends().identity.ListUsers(identity_pb2.ListUsersRequest(
            page_size=USERS_PER_PAGE, page_token=page_token, query=query))
    except Refused as refused:
        if refused.field != "query":
            abort(400, "That page of users does not exist.")
        # A search identity cannot take (too long, a control character): said at the box.
        page = render_template("admin/users.html", users=[], total=0, query=query, next_page="", first_page=True,
                               search_problem=sentence(refused.message))
        return page, http_status(refused.code)
    next_page = users_url(query, listing.next_page_token) if listing.next_page_token else ""
    return render_template("admin/users.html", users=[user_row(u) for u in listing.users], total=listing.total_size,
                           query=query, next_page=next_page, first_page=not page_token, search_problem="")


def _user_or_404(user_id: str):
    try:
        return backends().identity.GetProfile(identity_pb2.GetProfileRequest(user_id=user_id)).user
    except (NotFound, Refused):
        abort(404)


@bp.post("/users/<user_id>/admin")
def change_admin_role(user_id: str):
    grant = {"grant": True, "revoke": False}.get(request.form.get("action", ""))
    if grant is None:
        abort(400, "Choose grant or revoke.")
    user = _user_or_404(user_id)
    roles = (set(user.roles) | {ADMIN_ROLE}) if grant else (set(user.roles) - {ADMIN_ROLE})
    try:
        backends().identity.SetUserRoles(identity_pb2.SetUserRolesRequest(user_id=user_id, roles=sorted(roles)))
    except Refused as refused:  # the last admin keeps the role
        flash(f"{user.email} keeps the admin role: {refused.message}.", "error")
        return redirect(_back_to_users(), 303)
    admin_action("grant admin" if grant else "revoke admin", user_id=user_id, user_email=user.email)
    flash(f"{user.email} {'is now an admin' if grant else 'is no longer an admin'}: from their next sign-in "
          "or token refresh.")
    return redirect(_back_to_users(), 303)


@bp.post("/users/<user_id>/lock")
def change_lock(user_id: str):
    lock = {"lock": True, "unlock": False}.get(request.form.get("action", ""))
    if lock is None:
        abort(400, "Choose lock or unlock.")
    user = _user_or_404(user_id)
    reason = request.form.get("reason", "").strip()
    try:
        if lock:
            backends().identity.LockUser(identity_pb2.LockUserRequest(user_id=user_id, reason=reason))
        else:
            backends().identity.UnlockUser(identity_pb2.UnlockUserRequest(user_id=user_id))
    except NotFound:  # deleted meanwhile
        abort(404)
    except Refused as refused:  # the last admin who can sign in, or a reason too long
        flash(f"{user.email} stays {'unlocked' if lock else 'locked'}: {refused.message}.", "error")
        return redirect(_back_to_users(), 303)
    if lock:
        admin_action("lock account", user_id=user_id, user_email=user.email, lock_reason=reason)
    else:
        admin_action("unlock account", user_id=user_id, user_email=user.email)
    flash(lock_message(user.email, lock, was_locked=user.locked))
    return redirect(_back_to_users(), 303)


def lock_message(email: str, lock: bool, *, was_locked: bool) -> str:
    """What the admin is told after locking or unlocking an account. Pure."""
    if lock:
        return (f"{email} was already locked." if was_locked
                else f"{email} is locked: they cannot sign in, and every session of theirs has ended.")
    return (f"{email} is unlocked: they can sign in again with their password." if was_locked
            else f"{email} was not locked.")


def _back_to_users() -> str:
    back = request.form.get("back", "")
    return back if back.startswith("/admin/users") else "/admin/users"


@bp.get("/audit")
def audit():
    """The audit log: every service's part, merged newest first, a page at a time."""
    try:
        before = audit_trail.parse_before(request.args.get("before", ""))
    except ValueError:
        abort(400, "That is not a point in the audit log.")
    parts, missing = [], []
    for name in AUDITED:
        try:
            asked = audit_pb2.ListActionsRequest(page_size=audit_trail.PAGE_SIZE)
            if before is not None:
                asked.before.CopyFrom(before)
            parts.append(backends().audit_logs[name].ListActions(asked).actions)
        except BackendError:
            missing.append(name)
    page = audit_trail.merge_newest(parts, audit_trail.PAGE_SIZE)
    return render_template("admin/audit.html", rows=audit_trail.rows(page, _emails_of(page)), missing=missing,
                           older=audit_trail.older_link(page, audit_trail.PAGE_SIZE), first_page=before is None)


def _emails_of(entries) -> dict[str, str]:
    """Each actor's email, as identity knows it now (an account since deleted keeps its id)."""
    emails = {}
    for actor_id in {entry.actor_id for entry in entries if entry.actor_id}:
        try:
            emails[actor_id] = backends().identity.GetProfile(identity_pb2.GetProfileRequest(user_id=actor_id)).user.email
        except (NotFound, Refused):
            pass
    return emails
