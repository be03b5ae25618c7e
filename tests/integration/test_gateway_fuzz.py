"""Schemathesis against krakend/openapi.yaml, through the real KrakenD and services: inputs
generated from the document, valid and invalid, never get a 5xx, and every answer is one
the document promises: a documented status code, a documented Content-Type, and a body
that matches the documented schema (the gateway's own refusals included).

Secured operations are called with the token of a fresh admin (so admin operations reach
their backend instead of stopping at 403), and every call comes as one client address of
its own, so the rate limits it runs into are not other tests'."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.support.gateway import User, register
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD

OPENAPI = Path(__file__).resolve().parents[2] / "krakend" / "openapi.yaml"
# The fuzz's requests come from a loopback address of their own, so the per-client limits
# they run into (registration, sign-in) are theirs alone and hold back no other test.
FUZZ_SOURCE = "127.0.0.31"
# Cases per operation (each is one request); FUZZ_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))

schema = schemathesis.openapi.from_path(OPENAPI)
schema.config.generation.update(max_examples=EXAMPLES, database="none")


@pytest.fixture(scope="module")
def fuzz_admin_token(gateway) -> str:
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    fuzzer = register(gateway, "fuzzer")
    promoted = admin.call("PUT", f"/api/v1/admin/users/{fuzzer.id}/roles", {"roles": ["customer", "admin"]})
    assert promoted.status == 200, promoted.body
    assert fuzzer.login().status == 200
    return fuzzer.access_token


class _FromSource(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (FUZZ_SOURCE, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def fuzz_session():
    with requests.Session() as session:
        session.mount("http://", _FromSource())
        yield session


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_gets_a_documented_answer_and_no_server_error(case, gateway, fuzz_admin_token,
                                                                             fuzz_session):
    headers = {}
    if case.operation.definition.raw.get("security") != []:
        headers["Authorization"] = f"Bearer {fuzz_admin_token}"
    case.call_and_validate(base_url=gateway.url, session=fuzz_session, headers=headers, timeout=20, checks=CHECKS)
