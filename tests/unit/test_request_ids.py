import re

import pytest

from service_runtime.tracecontext import request_id_for


@pytest.mark.parametrize("header", ["abc-123", "A.b_c:d-9", "x" * 128])
def test_a_usable_caller_id_is_kept(header):
    assert request_id_for(header) == header


@pytest.mark.parametrize("header", [None, "", "a b", "x" * 129, "caf\u00e9", "tab\there"])
def test_an_unusable_or_missing_id_is_replaced_by_a_new_one(header):
    assert re.fullmatch(r"[0-9a-f]{32}", request_id_for(header))
