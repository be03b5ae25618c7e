"""Display names, role sets, lock reasons, the rule that the shop always keeps an admin who
can sign in, and user searches."""
import pytest

from datetime import datetime, timezone

from identityservice import users
from identityservice.errors import InvalidArgument, LastAdmin

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def user(*roles: str, lock_time=None) -> users.User:
    return users.User(id="u-1", email="ada@example.com", display_name="Ada", roles=("customer", *roles),
                      create_time=NOW, update_time=NOW, lock_time=lock_time)


def test_a_display_name_is_trimmed():
    assert users.check_display_name("  Ada Lovelace ") == "Ada Lovelace"


@pytest.mark.parametrize("name, reason", [
    ("", "must not be empty"), ("   ", "must not be empty"), ("x" * 101, "at most 100"),
    ("Ada\x00", "control characters"),
])
def test_bad_display_names_name_the_field(name, reason):
    with pytest.raises(InvalidArgument, match=reason) as caught:
        users.check_display_name(name)
    assert caught.value.field == "display_name"


def test_a_missing_display_name_defaults_to_the_local_part():
    assert users.display_name_for("", "ada.lovelace@example.com") == "ada.lovelace"
    assert users.display_name_for(" Ada ", "ada.lovelace@example.com") == "Ada"


def test_customer_is_always_kept_and_roles_are_ordered():
    assert users.check_roles(["admin"]) == ("customer", "admin")
    assert users.check_roles(["admin", "customer", "admin"]) == ("customer", "admin")
    assert users.check_roles(["customer"]) == ("customer",)


@pytest.mark.parametrize("roles, reason", [([], "must not be empty"), (["customer", "root"], "unknown role 'root'")])
def test_bad_role_sets_are_refused(roles, reason):
    with pytest.raises(InvalidArgument, match=reason) as caught:
        users.check_roles(roles)
    assert caught.value.field == "roles"


def test_the_last_admin_cannot_lose_the_role():
    with pytest.raises(LastAdmin) as caught:
        users.check_admin_remains(("customer", "admin"), ("customer",), other_admins=0)
    assert caught.value.reason == "LAST_ADMIN"


def test_an_admin_may_lose_the_role_while_another_remains():
    users.check_admin_remains(("customer", "admin"), ("customer",), other_admins=1)


def test_changes_that_keep_or_never_had_the_role_are_fine():
    users.check_admin_remains(("customer", "admin"), ("customer", "admin"), other_admins=0)
    users.check_admin_remains(("customer",), (), other_admins=0)


def test_a_user_search_is_trimmed_and_may_be_empty():
    assert users.check_query("  ada@Example ") == "ada@Example"
    assert users.check_query("   ") == ""
    assert users.check_query("x" * 200) == "x" * 200


@pytest.mark.parametrize("query, reason", [
    ("x" * 201, "query must be at most 200 characters"), ("ada\x00", "query must not contain control characters"),
    ("ada\nlovelace", "query must not contain control characters"),
])
def test_bad_user_searches_name_the_field(query, reason):
    with pytest.raises(InvalidArgument, match=reason) as caught:
        users.check_query(query)
    assert caught.value.field == "query"


def test_a_user_is_locked_while_it_has_a_lock_time():
    assert not user().locked and user(lock_time=NOW).locked


def test_the_last_admin_who_can_sign_in_cannot_be_locked():
    with pytest.raises(LastAdmin, match="the last admin who can sign in"):
        users.check_lock_keeps_an_admin(user("admin"), other_admins=0)


def test_an_admin_may_be_locked_while_another_can_sign_in_and_a_customer_always():
    users.check_lock_keeps_an_admin(user("admin"), other_admins=1)
    users.check_lock_keeps_an_admin(user(), other_admins=0)


def test_a_lock_reason_is_trimmed_and_may_be_empty():
    assert users.check_lock_reason("  chargeback on order 42 ") == "chargeback on order 42"
    assert users.check_lock_reason("") == ""


@pytest.mark.parametrize("reason, message", [
    ("x" * 201, "reason must be at most 200 characters"), ("fraud\x00", "reason must not contain control characters"),
])
def test_bad_lock_reasons_name_the_field(reason, message):
    with pytest.raises(InvalidArgument, match=message) as caught:
        users.check_lock_reason(reason)
    assert caught.value.field == "reason"
