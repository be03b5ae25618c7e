"""The back office's pure layer for users: a row as the page shows it, the URL of a search
and its pages, and what an admin is told after locking or unlocking."""
from datetime import datetime, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from frontend.back_office import lock_message, user_row, users_url
from shop.identity.v1 import identity_pb2


def test_a_locked_user_shows_since_when_and_why():
    since = Timestamp()
    since.FromDatetime(datetime(2025, 3, 4, 23, 30, tzinfo=timezone.utc))
    row = user_row(identity_pb2.User(id="u-1", email="ada@example.com", display_name="Ada",
                                     roles=["customer", "admin"], locked=True, lock_time=since,
                                     lock_reason="chargeback"))
    assert (row.roles, row.is_admin, row.locked, row.locked_on, row.lock_reason) == (
        "customer, admin", True, True, "4 March 2025", "chargeback")


def test_an_active_user_shows_no_lock():
    row = user_row(identity_pb2.User(id="u-1", email="ada@example.com", roles=["customer"]))
    assert (row.is_admin, row.locked, row.locked_on) == (False, False, "")


def test_a_search_is_kept_across_pages():
    assert users_url("") == "/admin/users"
    assert users_url("ada lovelace", "b286MjA") == "/admin/users?q=ada+lovelace&page=b286MjA"
    assert users_url("", "b286MjA") == "/admin/users?page=b286MjA"
    assert users_url("a&page=x") == "/admin/users?q=a%26page%3Dx"


def test_the_admin_is_told_what_a_lock_did():
    assert lock_message("ada@example.com", True, was_locked=False).startswith("ada@example.com is locked: they cannot")
    assert lock_message("ada@example.com", True, was_locked=True) == "ada@example.com was already locked."
    assert lock_message("ada@example.com", False, was_locked=True).startswith("ada@example.com is unlocked")
    assert lock_message("ada@example.com", False, was_locked=False) == "ada@example.com was not locked."
