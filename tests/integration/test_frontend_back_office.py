"""The back office (/admin) over the real identity service: the admin role is asked of
identity on every page and action (anonymous visitors go to sign-in, customers get a 403
page, and neither changes anything), and an admin turns fault flags on and off in the
flags' file, finds users, grants and revokes the admin role, and locks and unlocks
accounts, every form with its CSRF token. That the services then act on the flags' file
is tested in tests/integration/test_fault_flags*.py."""
from __future__ import annotations

import html
import logging
import re
import uuid
from dataclasses import replace
from urllib.parse import quote

import pytest

from frontend import create_app
from frontend.account_views import ACCOUNT_LOCKED
from service_runtime import fault_flags
from shop.identity.v1 import identity_pb2, identity_pb2_grpc
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, register, unique_email

LAST_ADMIN = "this is the last admin who can sign in: make another user an admin first"

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


def profile_of(identity_channel, user_id: str) -> identity_pb2.User:
    stub = identity_pb2_grpc.IdentityServiceStub(identity_channel)
    return stub.GetProfile(identity_pb2.GetProfileRequest(user_id=user_id), timeout=5).user


def roles_of(identity_channel, user_id: str) -> list[str]:
    return sorted(profile_of(identity_channel, user_id).roles)


def admin_actions(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "admin action"]


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


def test_the_admin_finds_users_by_part_of_an_email_or_name_and_the_search_stays_across_pages(admin, identity_channel):
    tag = uuid.uuid4().hex[:10]
    by_email = [register(identity_channel, email=unique_email(f"page-{tag}")) for _ in range(20)]
    by_name = register(identity_channel, display_name=f"Robin {tag}")
    other = register(identity_channel, display_name="Nobody Else")

    first = admin.get(f"/admin/users?q=+{tag.upper()}+")
    assert first.status_code == 200
    assert "21 accounts match" in first.text and f'value="{tag.upper()}"' in first.text
    assert first.text.count('<tr id="user-') == 20 and f'id="user-{by_name.id}"' in first.text
    assert f'id="user-{other.id}"' not in first.text
    next_link = html.unescape(re.search(r'<a href="([^"]+)">Next page</a>', first.text).group(1))
    assert next_link.startswith(f"/admin/users?q={tag.upper()}&page=")
    second = admin.get(next_link)
    assert second.text.count('<tr id="user-') == 1 and f'id="user-{by_email[0].id}"' in second.text
    assert 'Next page' not in second.text and f'value="{tag.upper()}"' in second.text
    # A form on that page comes back to it, search and page included.
    assert f'name="back" value="{html.escape(next_link)}"' in second.text

    named = admin.get(f"/admin/users?q={quote('robin ' + tag)}")
    assert "1 account matches" in named.text and f'id="user-{by_name.id}"' in named.text
    assert "No account matches." in admin.get(f"/admin/users?q={tag}-nobody").text


@pytest.mark.parametrize("query, message", [("x" * 201, "Query must be at most 200 characters."),
                                            ("ada%00", "Query must not contain control characters.")])
def test_a_search_identity_cannot_take_is_said_at_the_search_box(admin, query, message):
    page = admin.get(f"/admin/users?q={query}")
    assert page.status_code == 400 and message in page.text and "Traceback" not in page.text
    assert 'aria-invalid="true"' in page.text and '<tr id="user-' not in page.text


def test_the_admin_locks_and_unlocks_an_account_and_the_user_is_told_at_sign_in(app, admin, identity_channel,
                                                                                caplog):
    someone = register(identity_channel, display_name="Kim")
    with caplog.at_level(logging.WARNING, logger="frontend.admin"):
        reply = post_form(admin, f"/admin/users/{someone.id}/lock", action="lock", reason=" chargeback ",
                          back=f"/admin/users?q={someone.email}")
    assert reply.status_code == 303 and reply.headers["Location"] == f"/admin/users?q={someone.email}"
    assert profile_of(identity_channel, someone.id).locked
    page = admin.get(f"/admin/users?q={quote(someone.email)}").text
    assert f"{someone.email} is locked: they cannot sign in" in page
    row = re.search(rf'<tr id="user-{someone.id}">.*?</tr>', page, re.S).group(0)
    assert "Locked" in row and ": chargeback" in row and 'value="unlock"' in row and 'value="lock"' not in row
    (action,) = admin_actions(caplog)
    assert (action.action, action.user_id, action.lock_reason, action.admin) == (
        "lock account", someone.id, "chargeback", ADMIN_EMAIL)

    visitor = app.test_client()
    refused = post_form(visitor, "/login", email=someone.email, password=PASSWORD)
    assert refused.status_code == 403 and html.escape(ACCOUNT_LOCKED) in refused.text
    assert "not right" not in refused.text

    with caplog.at_level(logging.WARNING, logger="frontend.admin"):
        post_form(admin, f"/admin/users/{someone.id}/lock", action="unlock")
    assert f"{someone.email} is unlocked: they can sign in again" in admin.get("/admin/users").text
    assert [a.action for a in admin_actions(caplog)] == ["lock account", "unlock account"]
    assert not profile_of(identity_channel, someone.id).locked
    sign_in(visitor, someone.email, PASSWORD)


def test_a_customer_cannot_lock_and_bad_lock_requests_change_nothing(admin, customer, identity_channel):
    someone = register(identity_channel, display_name="Lee")
    assert post_form(customer, f"/admin/users/{someone.id}/lock", action="lock").status_code == 403
    assert post_form(admin, f"/admin/users/{someone.id}/lock", action="freeze").status_code == 400
    assert post_form(admin, "/admin/users/no-such-user/lock", action="lock").status_code == 404
    assert admin.post(f"/admin/users/{someone.id}/lock", data={"action": "lock"}).status_code == 400  # no CSRF token
    reply = post_form(admin, f"/admin/users/{someone.id}/lock", action="lock", reason="x" * 201)
    assert reply.status_code == 303
    assert f"{someone.email} stays unlocked: reason must be at most 200 characters." in admin.get("/admin/users").text
    assert not profile_of(identity_channel, someone.id).locked


def test_a_locked_admin_is_out_of_the_back_office_at_once(app, admin, identity_channel):
    colleague = register(identity_channel, display_name="Colleague")
    post_form(admin, f"/admin/users/{colleague.id}/admin", action="grant")
    client = app.test_client()
    sign_in(client, colleague.email, PASSWORD)
    assert client.get("/admin").status_code == 200
    post_form(admin, f"/admin/users/{colleague.id}/lock", action="lock")
    reply = client.get("/admin/users")
    assert reply.status_code == 302 and reply.headers["Location"] == "/login?next=/admin/users"
    post_form(admin, f"/admin/users/{colleague.id}/admin", action="revoke")


@pytest.fixture
def the_only_admin(identity_channel):
    """For one test, the first admin is the only admin who can sign in: every other one
    loses the role, and gets it back afterwards."""
    stub = identity_pb2_grpc.IdentityServiceStub(identity_channel)
    others, token = [], ""
    while True:
        page = stub.ListUsers(identity_pb2.ListUsersRequest(page_size=100, page_token=token), timeout=5)
        others += [u.id for u in page.users if "admin" in u.roles and not u.locked and u.email != ADMIN_EMAIL]
        token = page.next_page_token
        if not token:
            break
    for user_id in others:
        stub.SetUserRoles(identity_pb2.SetUserRolesRequest(user_id=user_id, roles=["customer"]), timeout=5)
    yield
    for user_id in others:
        stub.SetUserRoles(identity_pb2.SetUserRolesRequest(user_id=user_id, roles=["customer", "admin"]), timeout=5)


def test_the_last_admin_keeps_the_role_and_stays_unlocked_and_the_page_says_so(admin, identity_channel,
                                                                               the_only_admin, caplog):
    me = admin.get("/admin/users?q=" + quote(ADMIN_EMAIL)).text
    admin_id = re.search(r'<tr id="user-([^"]+)">', me).group(1)
    with caplog.at_level(logging.WARNING, logger="frontend.admin"):
        assert post_form(admin, f"/admin/users/{admin_id}/admin", action="revoke").status_code == 303
        assert f"{ADMIN_EMAIL} keeps the admin role: {LAST_ADMIN}." in admin.get("/admin/users").text
        assert post_form(admin, f"/admin/users/{admin_id}/lock", action="lock").status_code == 303
        assert f"{ADMIN_EMAIL} stays unlocked: {LAST_ADMIN}." in admin.get("/admin/users").text
    assert admin_actions(caplog) == []
    profile = profile_of(identity_channel, admin_id)
    assert "admin" in profile.roles and not profile.locked
