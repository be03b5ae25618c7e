"""An admin locks and unlocks accounts, over a real gRPC channel: a locked account cannot
sign in (a clear refusal, once the password is right) or refresh, its sessions end at
once, and unlocking lets it sign in again with its password. The shop always keeps an
admin who can sign in."""
import grpc
import psycopg
import pytest

from service_runtime.status_details import field_of, reason_of
from shop.identity.v1 import identity_pb2 as I
from tests.support.identity import PASSWORD, refused, register, sign_in, stub

CODE = grpc.StatusCode
LOCKED = "this account is locked by the shop: contact customer service to have it unlocked"
LAST_ADMIN = "this is the last admin who can sign in: make another user an admin first"


@pytest.fixture
def identity(identity_channel):
    return stub(identity_channel)


@pytest.fixture
def user(identity_channel):
    return register(identity_channel, display_name="Lockable")


def lock(identity, user_id, reason=""):
    return identity.LockUser(I.LockUserRequest(user_id=user_id, reason=reason)).user


def unlock(identity, user_id):
    return identity.UnlockUser(I.UnlockUserRequest(user_id=user_id)).user


def set_roles(identity, user_id, *roles):
    return identity.SetUserRoles(I.SetUserRolesRequest(user_id=user_id, roles=roles)).user


def every_user(identity) -> list:
    users, token = [], ""
    while True:
        page = identity.ListUsers(I.ListUsersRequest(page_size=100, page_token=token))
        users += page.users
        token = page.next_page_token
        if not token:
            return users


def sign_in_refused(identity, email, password=PASSWORD) -> grpc.RpcError:
    return refused(identity.Authenticate, I.AuthenticateRequest(email=email, password=password))


def test_a_locked_account_cannot_sign_in_and_is_told_why(identity, identity_channel, user):
    locked = lock(identity, user.id, "  chargeback on order 1234 ")
    assert (locked.locked, locked.lock_reason) == (True, "chargeback on order 1234")
    assert locked.HasField("lock_time") and locked.update_time == locked.lock_time
    assert identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user == locked

    error = sign_in_refused(identity, user.email)
    assert (error.code(), error.details(), reason_of(error)[0]) == (CODE.PERMISSION_DENIED, LOCKED, "ACCOUNT_LOCKED")
    # Only the right password learns that: a wrong one answers as it always does.
    error = sign_in_refused(identity, user.email, "not-the-password-at-all")
    assert (error.code(), error.details()) == (CODE.UNAUTHENTICATED, "invalid email or password")


def test_locking_ends_every_session_and_refresh_is_refused(identity, identity_channel, user):
    sessions = [sign_in(identity_channel, user.email) for _ in range(2)]
    lock(identity, user.id)
    for session in sessions:
        error = refused(identity.Refresh, I.RefreshRequest(user_id=user.id, jti=session.refresh_token.jti))
        assert (error.code(), error.details()) == (CODE.UNAUTHENTICATED, "invalid or expired refresh token")
        error = refused(identity.CheckSession, I.CheckSessionRequest(user_id=user.id, jti=session.access_token.jti))
        assert (error.code(), error.details()) == (CODE.UNAUTHENTICATED, "this session has ended")


def test_a_session_that_slipped_past_the_lock_is_refused_too(identity, identity_channel, user, postgres):
    """A sign-in that read the account just before the lock may start its session just
    after the lock revoked the others: the lock itself refuses it."""
    session = sign_in(identity_channel, user.email)
    lock(identity, user.id)
    with psycopg.connect(postgres.url("identity_test"), autocommit=True) as conn:
        conn.execute("UPDATE sessions SET revoke_time = NULL WHERE user_id = %s", (user.id,))
    assert refused(identity.CheckSession, I.CheckSessionRequest(user_id=user.id, jti=session.access_token.jti)
                   ).code() == CODE.UNAUTHENTICATED
    assert refused(identity.Refresh, I.RefreshRequest(user_id=user.id, jti=session.refresh_token.jti)
                   ).code() == CODE.UNAUTHENTICATED


def test_unlocking_lets_the_user_sign_in_again_with_their_password(identity, identity_channel, user):
    before = sign_in(identity_channel, user.email)
    lock(identity, user.id, "checking an order")
    unlocked = unlock(identity, user.id)
    assert (unlocked.locked, unlocked.lock_reason, unlocked.HasField("lock_time")) == (False, "", False)
    again = sign_in(identity_channel, user.email)
    assert again.user == identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user
    assert identity.Refresh(I.RefreshRequest(user_id=user.id, jti=again.refresh_token.jti)).user.id == user.id
    # The sessions the lock ended stay ended.
    assert refused(identity.Refresh, I.RefreshRequest(user_id=user.id, jti=before.refresh_token.jti)
                   ).code() == CODE.UNAUTHENTICATED


def test_locking_a_locked_account_and_unlocking_an_unlocked_one_change_nothing(identity, user):
    assert unlock(identity, user.id) == identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user
    first = lock(identity, user.id, "first reason")
    assert lock(identity, user.id, "second reason") == first


@pytest.mark.parametrize("call", ["LockUser", "UnlockUser"])
def test_an_unknown_user_is_not_found_and_a_missing_id_invalid(identity, call):
    request = getattr(I, f"{call}Request")
    assert refused(getattr(identity, call), request(user_id="no-such-user")).code() == CODE.NOT_FOUND
    error = refused(getattr(identity, call), request(user_id=""))
    assert (error.code(), field_of(error)) == (CODE.INVALID_ARGUMENT, "user_id")


@pytest.mark.parametrize("reason, message", [
    ("x" * 201, "reason must be at most 200 characters"), ("fraud\x00", "reason must not contain control characters"),
])
def test_a_bad_reason_is_invalid_argument_and_locks_nothing(identity, user, reason, message):
    error = refused(identity.LockUser, I.LockUserRequest(user_id=user.id, reason=reason))
    assert (error.code(), field_of(error), error.details()) == (CODE.INVALID_ARGUMENT, "reason", message)
    assert not identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user.locked


def test_the_shop_keeps_an_admin_who_can_sign_in(identity, identity_channel):
    """Locked admins do not count: the last unlocked one cannot be locked (by anyone,
    themselves included), lose the role or delete the account."""
    admins = [u.id for u in every_user(identity) if "admin" in u.roles and not u.locked]
    last, other = register(identity_channel), register(identity_channel)
    set_roles(identity, last.id, "customer", "admin")
    set_roles(identity, other.id, "customer", "admin")
    lock(identity, other.id, "an admin who left")
    try:
        for admin_id in admins:
            set_roles(identity, admin_id, "customer")
        for call, request in ((identity.LockUser, I.LockUserRequest(user_id=last.id)),
                              (identity.SetUserRoles, I.SetUserRolesRequest(user_id=last.id, roles=["customer"])),
                              (identity.DeleteAccount, I.DeleteAccountRequest(user_id=last.id, password=PASSWORD))):
            error = refused(call, request)
            assert (error.code(), error.details(), reason_of(error)[0]) == (
                CODE.FAILED_PRECONDITION, LAST_ADMIN, "LAST_ADMIN")
        assert not identity.GetProfile(I.GetProfileRequest(user_id=last.id)).user.locked
        assert sign_in(identity_channel, last.email).user.id == last.id
        # A locked admin may lose the role: the one who can sign in stays.
        assert list(set_roles(identity, other.id, "customer").roles) == ["customer"]
    finally:
        for admin_id in admins:
            set_roles(identity, admin_id, "customer", "admin")
    assert lock(identity, last.id).locked  # with the others back, it may be locked
    set_roles(identity, last.id, "customer")
