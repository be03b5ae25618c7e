import re

from service_runtime.tracecontext import trace_id_of, traceparent_for


def test_the_request_id_becomes_the_trace_id():
    rid = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent = traceparent_for(rid)
    assert re.fullmatch(r"00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01", parent)
    assert trace_id_of(parent) == rid


def test_an_id_that_cannot_be_a_trace_id_gets_a_fresh_one():
    for rid in ("", "not-hex", "0" * 32, "ABCDEF" * 6):
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", traceparent_for(rid))
        assert trace_id_of(traceparent_for(rid)) != rid


def test_malformed_traceparents_have_no_trace_id():
    for bad in (None, "", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-xyz-abc-01"):
        assert trace_id_of(bad) == ""
