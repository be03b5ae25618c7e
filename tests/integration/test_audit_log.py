"""The audit log of admin actions (docs/decisions/0013), against the real services: each
service records the admin RPCs it carries out, with who, through what and from where,
before the action runs (no action without its entry) and with its outcome after; actions
through the public API name the admin the gateway validated, whatever header the client
sends."""
from __future__ import annotations

import uuid

import grpc
import psycopg
import pytest

from catalogservice.__main__ import ADMIN_METHODS as CATALOG_ADMIN_METHODS
from service_runtime import audit
from shop.audit.v1 import audit_pb2, audit_pb2_grpc
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from shop.identity.v1 import identity_pb2
from tests.support import identity as identity_support
from tests.support.gateway import User, token_claims
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD


def _newest(channel, page_size: int = 20) -> list[audit_pb2.AdminAction]:
    stub = audit_pb2_grpc.AuditLogServiceStub(channel)
    return list(stub.ListActions(audit_pb2.ListActionsRequest(page_size=page_size), timeout=5).actions)


def _entry_for(channel, target: str) -> audit_pb2.AdminAction:
    found = [entry for entry in _newest(channel, 200) if entry.target == target]
    assert len(found) == 1, found
    return found[0]


def _new_product(suffix: str) -> catalog_pb2.Product:
    return catalog_pb2.Product(
        id=f"audit-{suffix}", name=f"Audit Lamp {suffix}", description="Lights the ledger.",
        price={"currency_code": "USD", "units": 12}, categories=["kitchen"], stock=3)


def test_a_website_call_is_recorded_with_its_admin_address_and_outcome(catalog_channel):
    suffix = uuid.uuid4().hex[:8]
    stub = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    stub.CreateProduct(catalog_pb2.CreateProductRequest(product=_new_product(suffix)), timeout=5,
                       metadata=audit.metadata_for("admin-42", "website", "203.0.113.9"))

    entry = _entry_for(catalog_channel, f"audit-{suffix}")
    assert (entry.actor_id, entry.via, entry.client_address) == ("admin-42", "website", "203.0.113.9")
    assert (entry.service, entry.action, entry.outcome) == ("catalogservice", "CreateProduct", "OK")
    assert f"Audit Lamp {suffix}" in entry.details
    assert entry.id.startswith("catalogservice-")
    assert entry.finished_at.ToDatetime() >= entry.recorded_at.ToDatetime()


def test_a_refused_action_is_recorded_with_its_status_and_reads_are_not_recorded(catalog_channel):
    stub = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    missing = f"audit-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(grpc.RpcError) as refused:
        stub.DeleteProduct(catalog_pb2.DeleteProductRequest(id=missing), timeout=5)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    stub.ListProducts(catalog_pb2.ListProductsRequest(page_size=5), timeout=5)

    entry = _entry_for(catalog_channel, missing)
    assert (entry.action, entry.outcome, entry.via, entry.actor_id) == ("DeleteProduct", "NOT_FOUND", "grpc", "")
    assert entry.client_address == "127.0.0.1"  # the caller's peer: nobody named a client
    admin_actions = {method.rsplit("/", 1)[1] for method in CATALOG_ADMIN_METHODS}
    assert all(e.action in admin_actions for e in _newest(catalog_channel, 200))


def test_no_admin_action_is_carried_out_when_its_entry_cannot_be_written(catalog_channel, catalog_service, postgres):
    suffix = uuid.uuid4().hex[:8]
    stub = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    with psycopg.connect(postgres.url("catalog_test"), autocommit=True) as conn:
        conn.execute("ALTER TABLE admin_actions RENAME TO admin_actions_away")
        try:
            with pytest.raises(grpc.RpcError) as refused:
                stub.CreateProduct(catalog_pb2.CreateProductRequest(product=_new_product(suffix)), timeout=5)
        finally:
            conn.execute("ALTER TABLE admin_actions_away RENAME TO admin_actions")
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "audit log" in refused.value.details()
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetProduct(catalog_pb2.GetProductRequest(id=f"audit-{suffix}"), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_identity_records_a_role_change_and_keeps_the_websites_own_actions(identity_channel):
    user = identity_support.register(identity_channel)
    identity_support.stub(identity_channel).SetUserRoles(
        identity_pb2.SetUserRolesRequest(user_id=user.id, roles=["customer", "admin"]), timeout=5,
        metadata=audit.metadata_for("admin-7", "website", "198.51.100.4"))
    role_change = _entry_for(identity_channel, user.id)
    assert (role_change.action, role_change.outcome, role_change.actor_id) == ("SetUserRoles", "OK", "admin-7")

    log = audit_pb2_grpc.AuditLogServiceStub(identity_channel)
    flag = f"flag-{uuid.uuid4().hex[:6]}"
    started = log.RecordAction(audit_pb2.RecordActionRequest(service="frontend", action="set fault flag",
                                                             target=flag, details='{"value": true}'),
                               timeout=5, metadata=audit.metadata_for("admin-7", "website", "198.51.100.4")).action
    assert (started.service, started.outcome, started.via) == ("frontend", "PENDING", "website")
    finished = log.FinishAction(audit_pb2.FinishActionRequest(id=started.id, outcome="OK"), timeout=5).action
    assert finished.outcome == "OK" and finished.HasField("finished_at")

    with pytest.raises(grpc.RpcError) as again:
        log.FinishAction(audit_pb2.FinishActionRequest(id=started.id, outcome="OK"), timeout=5)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.RpcError) as unknown:
        log.FinishAction(audit_pb2.FinishActionRequest(id="identityservice-999999999", outcome="OK"), timeout=5)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as nameless:
        log.RecordAction(audit_pb2.RecordActionRequest(service="frontend", action=" "), timeout=5)
    assert nameless.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_log_pages_backwards_in_time(catalog_channel):
    stub = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    for _ in range(3):
        with pytest.raises(grpc.RpcError):
            stub.DeleteProduct(catalog_pb2.DeleteProductRequest(id=f"audit-gone-{uuid.uuid4().hex[:8]}"), timeout=5)
    log = audit_pb2_grpc.AuditLogServiceStub(catalog_channel)
    first = log.ListActions(audit_pb2.ListActionsRequest(page_size=2), timeout=5).actions
    older = log.ListActions(audit_pb2.ListActionsRequest(page_size=2, before=first[-1].recorded_at), timeout=5).actions
    assert len(first) == 2 and older
    assert first[0].recorded_at.ToDatetime() >= first[1].recorded_at.ToDatetime() > older[0].recorded_at.ToDatetime()
    with pytest.raises(grpc.RpcError) as too_many:
        log.ListActions(audit_pb2.ListActionsRequest(page_size=201), timeout=5)
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_api_action_names_the_admin_from_the_token_not_the_clients_header(gateway, catalog_channel):
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    suffix = uuid.uuid4().hex[:8]
    reply = admin.call("POST", "/api/v1/admin/products", {
        "id": f"audit-{suffix}", "name": f"API Audit Lamp {suffix}", "description": "Through the door.",
        "price": {"currencyCode": "USD", "units": "9"}, "categories": ["kitchen"], "stock": 1,
    }, headers={"X-Shop-Actor": "somebody-else"})
    assert reply.status == 200, reply.body

    entry = _entry_for(catalog_channel, f"audit-{suffix}")
    assert entry.actor_id == token_claims(admin.access_token)["sub"]
    assert entry.via == "api" and entry.client_address == "127.0.0.1"
    assert (entry.action, entry.outcome) == ("CreateProduct", "OK")
