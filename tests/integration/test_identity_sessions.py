"""Sessions over a real gRPC channel: refresh rotates the pair and refuses the old
refresh jti; presenting a rotated refresh jti again revokes the session; logout by
either jti or everywhere; a password change ends every session."""
import grpc
import pytest

from shop.identity.v1 import identity_pb2 as I
from tests.support.identity import PASSWORD, refused, register, sign_in, stub

CODE = grpc.StatusCode
INVALID_REFRESH = "invalid or expired refresh token"


@pytest.fixture
def identity(identity_channel):
    return stub(identity_channel)


@pytest.fixture
def user(identity_channel):
    return register(identity_channel)


def refresh(identity, user_id, jti):
    return identity.Refresh(I.RefreshRequest(user_id=user_id, jti=jti))


def refresh_refused(identity, user_id, jti) -> grpc.RpcError:
    error = refused(refresh, identity, user_id, jti)
    assert (error.code(), error.details()) == (CODE.UNAUTHENTICATED, INVALID_REFRESH)
    return error


def test_refresh_rotates_both_tokens_and_refuses_the_old_refresh_jti(identity, identity_channel, user):
    first = sign_in(identity_channel, user.email)
    second = refresh(identity, user.id, first.refresh_token.jti)
    assert second.user == first.user
    assert second.access_token.aud == "shop-api" and second.refresh_token.aud == "shop-refresh"
    assert second.access_token.sub == user.id and list(second.access_token.roles) == ["customer"]
    assert second.access_token.exp - second.access_token.iat == 900
    jtis = {first.access_token.jti, first.refresh_token.jti, second.access_token.jti, second.refresh_token.jti}
    assert len(jtis) == 4

    third = refresh(identity, user.id, second.refresh_token.jti)
    assert third.refresh_token.jti not in jtis


def test_reusing_a_rotated_refresh_jti_revokes_the_whole_session(identity, identity_channel, user):
    first = sign_in(identity_channel, user.email)
    other_session = sign_in(identity_channel, user.email)
    second = refresh(identity, user.id, first.refresh_token.jti)

    refresh_refused(identity, user.id, first.refresh_token.jti)      # the copy is presented again
    refresh_refused(identity, user.id, second.refresh_token.jti)     # ...so the live one is dead too
    assert refresh(identity, user.id, other_session.refresh_token.jti)  # other sessions are untouched


@pytest.mark.parametrize("which", ["unknown", "access", "other user", "empty"])
def test_anything_but_a_live_refresh_jti_of_the_user_is_refused_alike(identity, identity_channel, user, which):
    session = sign_in(identity_channel, user.email)
    stranger = register(identity_channel)
    user_id, jti = {
        "unknown": (user.id, "0" * 32),
        "access": (user.id, session.access_token.jti),
        "other user": (stranger.id, session.refresh_token.jti),
        "empty": (user.id, ""),
    }[which]
    refresh_refused(identity, user_id, jti)
    assert refresh(identity, user.id, session.refresh_token.jti)  # none of that harmed the session


def test_roles_are_read_afresh_on_refresh(identity, identity_channel, user):
    session = sign_in(identity_channel, user.email)
    identity.SetUserRoles(I.SetUserRolesRequest(user_id=user.id, roles=["customer", "admin"]))
    renewed = refresh(identity, user.id, session.refresh_token.jti)
    assert list(renewed.access_token.roles) == ["customer", "admin"]
    identity.SetUserRoles(I.SetUserRolesRequest(user_id=user.id, roles=["customer"]))


@pytest.mark.parametrize("token", ["access_token", "refresh_token"])
def test_logout_by_either_jti_ends_that_session_only(identity, identity_channel, user, token):
    ended, kept = sign_in(identity_channel, user.email), sign_in(identity_channel, user.email)
    identity.Logout(I.LogoutRequest(user_id=user.id, jti=getattr(ended, token).jti))
    refresh_refused(identity, user.id, ended.refresh_token.jti)
    assert refresh(identity, user.id, kept.refresh_token.jti)


def test_logout_by_an_access_jti_from_before_a_refresh_still_ends_the_session(identity, identity_channel, user):
    first = sign_in(identity_channel, user.email)
    second = refresh(identity, user.id, first.refresh_token.jti)
    identity.Logout(I.LogoutRequest(user_id=user.id, jti=first.access_token.jti))
    refresh_refused(identity, user.id, second.refresh_token.jti)


def test_logout_everywhere_ends_every_session(identity, identity_channel, user):
    sessions = [sign_in(identity_channel, user.email) for _ in range(3)]
    identity.Logout(I.LogoutRequest(user_id=user.id, all_sessions=True))
    for session in sessions:
        refresh_refused(identity, user.id, session.refresh_token.jti)
    assert sign_in(identity_channel, user.email)  # signing in again starts a new session


def test_logout_is_idempotent_and_reveals_nothing(identity, identity_channel, user):
    session = sign_in(identity_channel, user.email)
    stranger = register(identity_channel)
    for user_id, jti in [(user.id, session.access_token.jti), (user.id, session.access_token.jti),
                         (user.id, "0" * 32), (stranger.id, session.refresh_token.jti),
                         ("no-such-user", "0" * 32)]:
        assert identity.Logout(I.LogoutRequest(user_id=user_id, jti=jti)) == I.LogoutResponse()


def test_logout_without_a_jti_is_invalid(identity, user):
    assert refused(identity.Logout, I.LogoutRequest(user_id=user.id)).code() == CODE.INVALID_ARGUMENT


def test_a_password_change_ends_every_session(identity, identity_channel, user):
    sessions = [sign_in(identity_channel, user.email) for _ in range(2)]
    renewed = refresh(identity, user.id, sessions[0].refresh_token.jti)
    identity.ChangePassword(I.ChangePasswordRequest(user_id=user.id, current_password=PASSWORD,
                                                    new_password="another-Passphrase-7"))
    for jti in (renewed.refresh_token.jti, sessions[1].refresh_token.jti):
        refresh_refused(identity, user.id, jti)
    assert refused(sign_in, identity_channel, user.email).code() == CODE.UNAUTHENTICATED
