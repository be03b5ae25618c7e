"""The back office's audit page, apart from I/O: merging the services' parts newest first,
the older-entries link, and how an entry reads."""
from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from frontend import audit_trail
from shop.audit.v1 import audit_pb2


def entry(id_: str, seconds: int, nanos: int = 0, **fields) -> audit_pb2.AdminAction:
    return audit_pb2.AdminAction(id=id_, recorded_at=Timestamp(seconds=seconds, nanos=nanos), **fields)


def test_parts_merge_newest_first_and_are_cut_at_the_page():
    catalog = [entry("c-2", 30), entry("c-1", 10)]
    identity = [entry("i-2", 30, 5), entry("i-1", 20)]
    merged = audit_trail.merge_newest([catalog, identity, []], 3)
    assert [e.id for e in merged] == ["i-2", "c-2", "i-1"]


def test_older_link_points_before_the_last_entry_only_on_a_full_page():
    page = [entry("a", 1_700_000_100), entry("b", 1_700_000_000, 500_000)]
    assert audit_trail.older_link(page, 2) == "before=2023-11-14T22:13:20.000500Z"
    assert audit_trail.older_link(page, 3) == ""
    assert audit_trail.parse_before("2023-11-14T22:13:20.000500Z") == page[1].recorded_at


@pytest.mark.parametrize("text", ["yesterday", "2023-13-01T00:00:00Z", "1700000000"])
def test_a_point_that_is_not_a_time_is_refused(text):
    with pytest.raises(ValueError):
        audit_trail.parse_before(text)


def test_rows_say_who_how_and_how_it_ended():
    ok, refused, pending, direct = audit_trail.rows([
        entry("1", 0, actor_id="u-1", via="website", client_address="10.1.1.1", outcome="OK"),
        entry("2", 0, actor_id="u-gone", via="api", outcome="NOT_FOUND"),
        entry("3", 0, actor_id="u-1", via="api", outcome="PENDING"),
        entry("4", 0, via="grpc", client_address="10.0.0.2", outcome="OK"),
    ], {"u-1": "ada@example.com"})
    assert (ok.who, ok.via, ok.client, ok.outcome, ok.ok) == ("ada@example.com", "website", "10.1.1.1", "done", True)
    assert (refused.who, refused.via, refused.client, refused.outcome) == ("u-gone", "API", "unknown",
                                                                           "refused: NOT_FOUND")
    assert pending.outcome == "outcome unknown (pending)" and not pending.ok
    assert (direct.who, direct.via) == ("nobody named (direct call)", "gRPC, inside the network")
    assert ok.when == "1970-01-01 00:00:00 UTC"
