"""The back office (/admin) over the real identity service: the admin role is asked of
identity on every page and action (anonymous visitors go to sign-in, customers get a 403
page, and neither changes anything), and an admin turns fault flags on and off in the
flags' file, every form with its CSRF token. That the services then act on the file is
tested in tests/integration/test_fault_flags*.py."""
from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest

from frontend import create_app
from service_runtime import fault_flags
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register

OFF = {flag.name: flag.off for flag in fault_flags.FLAGS}


def token_on(client, path: str = "/no-such-page") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def post_form(client, path: str, **fields):
    return client.post(path, data={"csrf_token": token_on(client), **fields})


def sign_in(client, email: str, password: str):
    reply = post_form(client, "/login", email=email, password=password)
    assert reply.status_code == 303, reply.text


@pytest.fixture(scope="module")
def flags_file(tmp_path_factory):
    return tmp_path_factory.mktemp("back-office") / "flags.json"


@pytest.fixture(scope="module")
def app(frontend_config, flags_file):
    app = create_app(replace(frontend_config, flags_file=str(flags_file)))
    app.config.update(TESTING=True)
    yield app
    app.extensions["backends"].close()


@pytest.fixture
def admin(app, flags_file):
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield client
    fault_flags.write(flags_file, OFF)


@pytest.fixture
def customer(app, identity_channel):
    client = app.test_client()
    sign_in(client, register(identity_channel, display_name="Casey").email, PASSWORD)
    return client


@pytest.mark.parametrize("path", ["/admin", "/admin/flags"])
def test_an_anonymous_visitor_is_sent_to_sign_in(app, path):
    reply = app.test_client().get(path)
    assert reply.status_code == 302 and reply.headers["Location"] == f"/login?next={path}"


def test_an_anonymous_action_changes_nothing(app, flags_file):
    client = app.test_client()
    reply = post_form(client, "/admin/flags/paymentUnavailable", action="on")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login?next=")
    assert fault_flags.read(flags_file) == OFF


@pytest.mark.parametrize("path", ["/admin", "/admin/flags"])
def test_a_customer_gets_the_403_page(customer, path):
    reply = customer.get(path)
    assert reply.status_code == 403
    assert "This part of the shop is for its staff" in reply.text and "Traceback" not in reply.text


def test_a_customers_action_is_refused_and_changes_nothing(customer, flags_file):
    reply = post_form(customer, "/admin/flags/paymentUnavailable", action="on")
    assert reply.status_code == 403
    assert fault_flags.read(flags_file) == OFF


def test_the_admin_sees_every_flag_and_its_state_never_cached(admin):
    assert "Fault flags" in admin.get("/admin").text
    page = admin.get("/admin/flags")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for flag in fault_flags.FLAGS:
        assert f'id="flag-{flag.name}"' in page.text and f'action="/admin/flags/{flag.name}"' in page.text
    assert page.text.count('name="csrf_token"') >= len(fault_flags.FLAGS)
    assert 'class="flag-state flag-on"' not in page.text


def test_the_admin_turns_a_switch_on_and_off(admin, flags_file, caplog):
    with caplog.at_level(logging.WARNING, logger="frontend.admin"):
        reply = post_form(admin, "/admin/flags/paymentUnavailable", action="on")
    assert reply.status_code == 303 and reply.headers["Location"] == "/admin/flags"
    assert fault_flags.read(flags_file)["paymentUnavailable"] is True
    page = admin.get("/admin/flags").text
    assert "paymentUnavailable is on: every process sees it" in page
    assert re.search(r'id="flag-paymentUnavailable">.*?flag-on', page, re.S)
    (action,) = [r for r in caplog.records if r.getMessage() == "admin action"]
    assert (action.flag, action.flag_value, action.admin) == ("paymentUnavailable", True, ADMIN_EMAIL)
    post_form(admin, "/admin/flags/paymentUnavailable", action="off")
    assert fault_flags.read(flags_file)["paymentUnavailable"] is False


def test_the_admin_sets_a_value_and_a_wrong_one_is_said_and_changes_nothing(admin, flags_file):
    post_form(admin, "/admin/flags/catalogLatency", action="set", value="750")
    assert fault_flags.read(flags_file)["catalogLatency"] == 750
    assert "catalogLatency is on (750)" in admin.get("/admin/flags").text
    reply = post_form(admin, "/admin/flags/paymentFailure", action="set", value="1.5")
    assert reply.status_code == 303
    assert "paymentFailure: paymentFailure is a share from 0 to 1" in admin.get("/admin/flags").text
    assert fault_flags.read(flags_file) == {**OFF, "catalogLatency": 750}


def test_an_unknown_flag_is_404_and_a_form_without_its_token_400(admin, flags_file):
    assert post_form(admin, "/admin/flags/noSuchFlag", action="on").status_code == 404
    reply = admin.post("/admin/flags/paymentUnavailable", data={"action": "on"})
    assert reply.status_code == 400 and "This form had expired" in reply.text
    assert fault_flags.read(flags_file) == OFF


def test_without_a_flags_file_the_page_says_so(frontend_config):
    app = create_app(frontend_config)
    app.config.update(TESTING=True)
    try:
        client = app.test_client()
        sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert "FLAGS_FILE is not set" in client.get("/admin/flags").text
        assert post_form(client, "/admin/flags/paymentUnavailable", action="on").status_code == 400
    finally:
        app.extensions["backends"].close()


def roles_of(identity_channel, user_id: str) -> list[str]:
    from shop.identity.v1 import identity_pb2, identity_pb2_grpc

    stub = identity_pb2_grpc.IdentityServiceStub(identity_channel)
    return sorted(stub.GetProfile(identity_pb2.GetProfileRequest(user_id=user_id), timeout=5).user.roles)


def test_users_are_for_admins_only(app, customer):
    assert app.test_client().get("/admin/users").headers["Location"] == "/login?next=/admin/users"
    assert customer.get("/admin/users").status_code == 403


def test_the_admin_lists_users_and_grants_and_revokes_the_admin_role(admin, identity_channel, caplog):
    someone = register(identity_channel, display_name="Robin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'id="user-{someone.id}"' in page.text and someone.email in page.text
    with caplog.at_level(logging.WARNING, logger="frontend.admin"):
        reply = post_form(admin, f"/admin/users/{someone.id}/admin", action="grant", back="/admin/users?page=")
    assert reply.status_code == 303 and reply.headers["Location"] == "/admin/users?page="
    assert roles_of(identity_channel, someone.id) == ["admin", "customer"]
    assert f"{someone.email} is now an admin" in admin.get("/admin/users").text
    (action,) = [r for r in caplog.records if r.getMessage() == "admin action"]
    assert (action.action, action.user_id, action.admin) == ("grant admin", someone.id, ADMIN_EMAIL)
    post_form(admin, f"/admin/users/{someone.id}/admin", action="revoke", back="https://elsewhere.example/")
    assert roles_of(identity_channel, someone.id) == ["customer"]


def test_a_customer_cannot_grant_and_bad_requests_change_nothing(admin, customer, identity_channel):
    someone = register(identity_channel, display_name="Sam")
    assert post_form(customer, f"/admin/users/{someone.id}/admin", action="grant").status_code == 403
    assert post_form(admin, f"/admin/users/{someone.id}/admin", action="promote").status_code == 400
    assert post_form(admin, "/admin/users/no-such-user/admin", action="grant").status_code == 404
    assert roles_of(identity_channel, someone.id) == ["customer"]
