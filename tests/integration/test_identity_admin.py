"""The admin RPCs (the gateway lets only admins reach them) and the first admin from the
environment, over a real gRPC channel: paging through users and searching them, setting
roles, and never leaving the shop without an admin."""
import uuid

import grpc
import pytest

from service_runtime.status_details import field_of, reason_of
from shop.identity.v1 import identity_pb2 as I
from tests.support.identity import (ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, refused, register, sign_in, stub,
                                   unique_email)

CODE = grpc.StatusCode


@pytest.fixture
def identity(identity_channel):
    return stub(identity_channel)


def all_users(identity, page_size=2, query="") -> tuple[list, int]:
    users, token, totals = [], "", set()
    while True:
        page = identity.ListUsers(I.ListUsersRequest(page_size=page_size, page_token=token, query=query))
        assert len(page.users) <= page_size
        users += page.users
        totals.add(page.total_size)
        token = page.next_page_token
        if not token:
            return users, totals.pop() if len(totals) == 1 else -1


def set_roles(identity, user_id, *roles):
    return identity.SetUserRoles(I.SetUserRolesRequest(user_id=user_id, roles=roles)).user


def test_users_are_listed_newest_first_a_page_at_a_time(identity, identity_channel):
    newest = [register(identity_channel) for _ in range(3)][::-1]
    first_page = identity.ListUsers(I.ListUsersRequest(page_size=3))
    assert [u.id for u in first_page.users] == [u.id for u in newest]
    assert first_page.next_page_token and first_page.total_size >= 4

    users, total = all_users(identity)
    assert len(users) == total == len({u.id for u in users})
    times = [u.create_time.ToNanoseconds() for u in users]
    assert times == sorted(times, reverse=True)
    assert ADMIN_EMAIL in {u.email for u in users}


def test_the_default_page_has_twenty_users(identity, identity_channel):
    for _ in range(max(0, 21 - identity.ListUsers(I.ListUsersRequest()).total_size)):
        register(identity_channel)
    assert len(identity.ListUsers(I.ListUsersRequest()).users) == 20


@pytest.mark.parametrize("page_size, page_token", [(101, ""), (-1, ""), (10, "not-a-token")])
def test_bad_paging_is_invalid_argument(identity, page_size, page_token):
    error = refused(identity.ListUsers, I.ListUsersRequest(page_size=page_size, page_token=page_token))
    assert error.code() == CODE.INVALID_ARGUMENT


def test_users_are_found_by_part_of_their_email_or_name_ignoring_case_a_page_at_a_time(identity, identity_channel):
    tag = uuid.uuid4().hex[:10]
    by_email = [register(identity_channel, email=unique_email(f"find-{tag}")) for _ in range(3)]
    by_name = register(identity_channel, display_name=f"Zoë Finder{tag}")
    register(identity_channel, display_name="Someone Else")

    found, total = all_users(identity, page_size=2, query=f"  {tag.upper()} ")
    assert [u.id for u in found] == [by_name.id] + [u.id for u in by_email[::-1]] and total == 4
    first_page = identity.ListUsers(I.ListUsersRequest(page_size=3, query=tag))
    assert (len(first_page.users), first_page.total_size) == (3, 4) and first_page.next_page_token

    named = identity.ListUsers(I.ListUsersRequest(query=f"ZOË FINDER{tag}"))
    assert [u.id for u in named.users] == [by_name.id] and named.total_size == 1
    emailed = identity.ListUsers(I.ListUsersRequest(query=by_email[0].email.split("@")[0][-8:] + "@EXAMPLE"))
    assert [u.id for u in emailed.users] == [by_email[0].id]


@pytest.mark.parametrize("pattern", ["find_{tag}", "find%{tag}", "{tag}-no-such-user"])
def test_a_search_matches_text_as_it_is_and_may_match_no_one(identity, identity_channel, pattern):
    """"_" and "%" are plain characters, not LIKE patterns."""
    tag = uuid.uuid4().hex[:10]
    register(identity_channel, email=unique_email(f"find-{tag}"))
    nothing = identity.ListUsers(I.ListUsersRequest(query=pattern.format(tag=tag)))
    assert (list(nothing.users), nothing.next_page_token, nothing.total_size) == ([], "", 0)


@pytest.mark.parametrize("query, message", [
    ("x" * 201, "query must be at most 200 characters"), ("ada\x00", "query must not contain control characters"),
])
def test_a_bad_search_is_invalid_argument_naming_the_query(identity, query, message):
    error = refused(identity.ListUsers, I.ListUsersRequest(query=query))
    assert (error.code(), field_of(error), error.details()) == (CODE.INVALID_ARGUMENT, "query", message)


def test_the_first_admin_from_the_environment_exists_with_the_admin_role(identity):
    admin = next(u for u in all_users(identity, page_size=100)[0] if u.email == ADMIN_EMAIL)
    assert list(admin.roles) == ["customer", "admin"]


def test_roles_are_replaced_and_customer_is_always_kept(identity, identity_channel):
    user = register(identity_channel)
    promoted = set_roles(identity, user.id, "admin")
    assert list(promoted.roles) == ["customer", "admin"]
    assert list(sign_in(identity_channel, user.email).access_token.roles) == ["customer", "admin"]
    assert list(set_roles(identity, user.id, "customer").roles) == ["customer"]
    assert list(identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user.roles) == ["customer"]


@pytest.mark.parametrize("roles", [[], ["customer", "superuser"]])
def test_bad_role_sets_are_invalid_argument(identity, identity_channel, roles):
    user = register(identity_channel)
    error = refused(identity.SetUserRoles, I.SetUserRolesRequest(user_id=user.id, roles=roles))
    assert (error.code(), field_of(error)) == (CODE.INVALID_ARGUMENT, "roles")


def test_roles_of_an_unknown_user_are_not_found(identity):
    error = refused(identity.SetUserRoles, I.SetUserRolesRequest(user_id="no-such-user", roles=["customer"]))
    assert error.code() == CODE.NOT_FOUND


def test_the_last_admin_keeps_the_role_and_the_account(identity, identity_channel):
    admins = [u.id for u in all_users(identity, page_size=100)[0] if "admin" in u.roles]
    last = register(identity_channel)
    set_roles(identity, last.id, "customer", "admin")
    try:
        for admin_id in admins:
            set_roles(identity, admin_id, "customer")
        error = refused(identity.SetUserRoles, I.SetUserRolesRequest(user_id=last.id, roles=["customer"]))
        assert (error.code(), reason_of(error)[0]) == (CODE.FAILED_PRECONDITION, "LAST_ADMIN")
        error = refused(identity.DeleteAccount, I.DeleteAccountRequest(user_id=last.id, password=PASSWORD))
        assert (error.code(), reason_of(error)[0]) == (CODE.FAILED_PRECONDITION, "LAST_ADMIN")
        assert list(identity.GetProfile(I.GetProfileRequest(user_id=last.id)).user.roles) == ["customer", "admin"]
    finally:
        for admin_id in admins:
            set_roles(identity, admin_id, "customer", "admin")
    set_roles(identity, last.id, "customer")
    assert list(sign_in(identity_channel, ADMIN_EMAIL, ADMIN_PASSWORD).user.roles) == ["customer", "admin"]
