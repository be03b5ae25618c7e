"""The back office's audit page, apart from I/O: the services' parts of the log merged
newest first, each entry as the page shows it, and the link to older entries (decision
0013). Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

from google.protobuf.timestamp_pb2 import Timestamp

PAGE_SIZE = 50
VIA_SHOWN = {"website": "website", "api": "API", "grpc": "gRPC, inside the network"}


@dataclass(frozen=True)
class Row:
    id: str
    when: str           # UTC, to the second
    when_iso: str
    who: str
    via: str
    client: str
    service: str
    action: str
    target: str
    outcome: str
    ok: bool
    details: str


def parse_before(text: str) -> Timestamp | None:
    """The `before` of a page link (RFC 3339); None for the first page. ValueError when it
    is not a time."""
    if not text:
        return None
    stamp = Timestamp()
    try:
        stamp.FromJsonString(text)
    except ValueError as exc:
        raise ValueError(f"not a time: {text!r}") from exc
    return stamp


def merge_newest(parts, limit: int) -> list:
    """The newest `limit` entries of several newest-first lists."""
    merged = sorted((entry for part in parts for entry in part),
                    key=lambda entry: (entry.recorded_at.seconds, entry.recorded_at.nanos), reverse=True)
    return merged[:limit]


def older_link(page: list, limit: int) -> str:
    """The query of the next (older) page, or "" when this page is the last."""
    if len(page) < limit:
        return ""
    return "before=" + page[-1].recorded_at.ToJsonString()


def _outcome(entry) -> str:
    if entry.outcome == "PENDING":
        return "outcome unknown (pending)"
    return "done" if entry.outcome == "OK" else f"refused: {entry.outcome}"


def rows(entries: list, emails: dict[str, str]) -> list[Row]:
    shown = []
    for entry in entries:
        moment = entry.recorded_at.ToDatetime(tzinfo=timezone.utc)
        who = emails.get(entry.actor_id, entry.actor_id) if entry.actor_id else "nobody named (direct call)"
        shown.append(Row(
            id=entry.id, when=moment.strftime("%Y-%m-%d %H:%M:%S UTC"), when_iso=moment.isoformat(), who=who,
            via=VIA_SHOWN.get(entry.via, entry.via), client=entry.client_address or "unknown",
            service=entry.service, action=entry.action, target=entry.target, outcome=_outcome(entry),
            ok=entry.outcome == "OK", details=entry.details))
    return shown
