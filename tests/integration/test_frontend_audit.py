"""The back office's audit log page (/admin/audit) over the real services: admin actions
taken in the website (a role, a fault flag), through the API and straight over gRPC, each
with who, how, from where and how it ended, newest first and a page at a time; a service
whose part cannot be read is named, not a 500 (decision 0013)."""
from __future__ import annotations

import re
import uuid
from dataclasses import replace

import grpc
import pytest

from frontend import create_app
from service_runtime import fault_flags
from shop.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.integration.test_frontend_back_office import post_form, sign_in
from tests.support.gateway import User
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register


@pytest.fixture(scope="module")
def flags_file(tmp_path_factory):
    return tmp_path_factory.mktemp("audit") / "flags.json"


def _app(config):
    app = create_app(config)
    app.config.update(TESTING=True)
    return app


@pytest.fixture(scope="module")
def app(frontend_config, flags_file):
    app = _app(replace(frontend_config, flags_file=str(flags_file)))
    yield app
    app.extensions["backends"].close()


@pytest.fixture
def admin(app, flags_file):
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield client
    fault_flags.write(flags_file, {flag.name: flag.off for flag in fault_flags.FLAGS})


def _row(page: str, target: str) -> str:
    """The newest entry about the target."""
    rows = [row for row in re.findall(r'<tr id="audit-.*?</tr>', page, re.S) if f"<code>{target}</code>" in row]
    assert rows, f"no row for {target}"
    return rows[0]


def test_the_audit_log_is_for_admins_only(app, identity_channel):
    assert app.test_client().get("/admin/audit").headers["Location"] == "/login?next=/admin/audit"
    customer = app.test_client()
    sign_in(customer, register(identity_channel).email, PASSWORD)
    assert customer.get("/admin/audit").status_code == 403


def test_a_role_change_and_a_flag_change_in_the_website_are_shown_with_who_and_how(admin, identity_channel):
    someone = register(identity_channel, display_name="Audited")
    post_form(admin, f"/admin/users/{someone.id}/admin", action="grant")
    post_form(admin, "/admin/flags/catalogLatency", action="set", value="250")

    page = admin.get("/admin/audit")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    role = _row(page.text, someone.id)
    assert "SetUserRoles" in role and ADMIN_EMAIL in role and "via website, from 127.0.0.1" in role
    assert "identityservice" in role and ">done<" in role and "admin" in role
    flag = _row(page.text, "catalogLatency")
    assert "set fault flag" in flag and "frontend" in flag and ADMIN_EMAIL in flag and ">done<" in flag
    assert "250" in flag  # the value set, in the request's details
    assert page.text.index("<code>catalogLatency</code>") < page.text.index(f"<code>{someone.id}</code>")


def test_api_and_direct_grpc_actions_and_refusals_are_shown(admin, gateway, catalog_channel):
    api_admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert api_admin.login().status == 200
    gone = f"audit-page-{uuid.uuid4().hex[:8]}"
    assert api_admin.call("DELETE", f"/api/v1/admin/products/{gone}").status == 404
    direct = f"audit-grpc-{uuid.uuid4().hex[:8]}"
    with pytest.raises(grpc.RpcError):
        catalog_pb2_grpc.CatalogServiceStub(catalog_channel).DeleteProduct(
            catalog_pb2.DeleteProductRequest(id=direct), timeout=5)

    page = admin.get("/admin/audit").text
    through_api = _row(page, gone)
    assert ADMIN_EMAIL in through_api and "via API" in through_api and "refused: NOT_FOUND" in through_api
    over_grpc = _row(page, direct)
    assert "nobody named (direct call)" in over_grpc and "via gRPC, inside the network" in over_grpc


def test_the_log_pages_back_in_time_and_a_bad_point_is_400(admin, catalog_channel):
    stub = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
    for _ in range(51):  # more than a page, all newer than anything before them
        with pytest.raises(grpc.RpcError):
            stub.DeleteProduct(catalog_pb2.DeleteProductRequest(id=f"audit-many-{uuid.uuid4().hex[:8]}"), timeout=5)
    first = admin.get("/admin/audit").text
    assert first.count('<tr id="audit-') == 50
    older = re.search(r'href="/admin/audit\?(before=[^"]+)"', first).group(1)
    second = admin.get(f"/admin/audit?{older}").text
    first_ids = set(re.findall(r'<tr id="(audit-[^"]+)"', first))
    second_ids = set(re.findall(r'<tr id="(audit-[^"]+)"', second))
    assert second_ids and not first_ids & second_ids
    assert admin.get("/admin/audit?before=yesterday").status_code == 400


def test_a_part_that_cannot_be_read_is_named_and_the_rest_shown(frontend_config, catalog_channel):
    recent = f"audit-rest-{uuid.uuid4().hex[:8]}"
    with pytest.raises(grpc.RpcError):
        catalog_pb2_grpc.CatalogServiceStub(catalog_channel).DeleteProduct(
            catalog_pb2.DeleteProductRequest(id=recent), timeout=5)
    app = _app(replace(frontend_config, checkout_addr="127.0.0.1:9", rpc_timeout=0.5))
    try:
        client = app.test_client()
        sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        page = client.get("/admin/audit")
        assert page.status_code == 200
        assert "The checkout service's part of the log cannot be read right now" in page.text
        assert f"<code>{recent}</code>" in page.text
    finally:
        app.extensions["backends"].close()


def test_locking_and_unlocking_an_account_are_in_the_log(admin, identity_channel):
    someone = register(identity_channel, display_name="Lockable")
    post_form(admin, f"/admin/users/{someone.id}/lock", action="lock", reason="chargeback under review")
    post_form(admin, f"/admin/users/{someone.id}/lock", action="unlock")
    page = admin.get("/admin/audit").text
    rows = [row for row in re.findall(r'<tr id="audit-.*?</tr>', page, re.S) if f"<code>{someone.id}</code>" in row]
    assert ["UnlockUser" in rows[0], "LockUser" in rows[1]] == [True, True]
    assert "chargeback under review" in rows[1] and ADMIN_EMAIL in rows[1] and ">done<" in rows[0]
