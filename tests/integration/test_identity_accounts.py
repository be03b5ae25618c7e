"""Registering, signing in, the profile, password changes and account deletion over a
real gRPC channel against the real identityservice and PostgreSQL."""
import time

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


def test_register_then_sign_in_returns_the_claims_for_the_gateway(identity_channel):
    email = unique_email("ada")
    user = register(identity_channel, email, display_name="  Ada Lovelace ")
    assert user.email == email and user.display_name == "Ada Lovelace" and list(user.roles) == ["customer"]
    assert ":" not in user.id and len(user.id) == 36
    assert user.create_time.seconds == user.update_time.seconds > 0

    before = int(time.time())
    reply = sign_in(identity_channel, email)
    access, refresh = reply.access_token, reply.refresh_token
    assert reply.user == user
    assert (access.sub, access.iss, access.aud, list(access.roles)) == (user.id, "shop-identity", "shop-api", ["customer"])
    assert (refresh.sub, refresh.iss, refresh.aud) == (user.id, "shop-identity", "shop-refresh")
    assert before - 1 <= access.iat <= int(time.time()) and refresh.iat == access.iat
    assert access.exp - access.iat == 900 and refresh.exp - refresh.iat == 1_209_600
    assert len({access.jti, refresh.jti}) == 2 and all(len(j) == 32 for j in (access.jti, refresh.jti))
    assert sign_in(identity_channel, email).access_token.jti != access.jti


def test_an_empty_display_name_becomes_the_email_local_part(identity_channel):
    email = unique_email("grace")
    assert register(identity_channel, email).display_name == email.split("@")[0]


def test_sign_in_ignores_the_case_of_the_email(identity_channel):
    email = unique_email("case")
    register(identity_channel, email)
    assert sign_in(identity_channel, email.upper().replace("EXAMPLE.COM", "Example.Com")).user.email == email


@pytest.mark.parametrize("variant", [str, str.upper, lambda e: "  " + e.replace("example", "EXAMPLE") + " "])
def test_an_email_taken_in_any_case_is_already_exists(identity_channel, variant):
    email = unique_email("taken")
    register(identity_channel, email)
    error = refused(register, identity_channel, variant(email))
    assert error.code() == CODE.ALREADY_EXISTS
    assert reason_of(error) == ("EMAIL_TAKEN", {})
    assert "already exists" in error.details()


@pytest.mark.parametrize("request_fields, field, message", [
    ({"email": "not-an-email"}, "email", "email is not a valid email address"),
    ({"email": ""}, "email", "email is required"),
    ({"email": "someone@shop.local"}, "email", "email is not a valid email address"),
    ({"password": "short"}, "password", "password is too short"),
    ({"password": "aaaaabbbbbaaaaa"}, "password", "password repeats too few characters"),
    ({"password": "xx-{local}-xx"}, "password", "password contains your email address"),
    ({"password": "password123"}, "password", "password is a common password"),
    ({"display_name": "x" * 101}, "display_name", "display_name must be at most 100 characters"),
])
def test_invalid_registrations_name_the_field(identity, request_fields, field, message):
    email = unique_email("bad")
    fields = {"email": email, "password": PASSWORD, "display_name": "", **request_fields}
    fields["password"] = fields["password"].format(local=email.split("@")[0])
    error = refused(identity.Register, I.RegisterRequest(**fields))
    assert error.code() == CODE.INVALID_ARGUMENT
    assert field_of(error) == field
    assert error.details().startswith(message)
    if field == "password":
        assert "10 to 128 characters" in error.details()


def test_the_profile_is_read_and_updated(identity, identity_channel):
    user = register(identity_channel, display_name="Before")
    assert identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user == user

    renamed = identity.UpdateProfile(I.UpdateProfileRequest(user_id=user.id, display_name=" After ")).user
    assert renamed.display_name == "After" and renamed.email == user.email
    assert renamed.update_time.ToNanoseconds() > user.update_time.ToNanoseconds()

    new_email = unique_email("moved")
    error = refused(identity.UpdateProfile, I.UpdateProfileRequest(user_id=user.id, email=new_email))
    assert (error.code(), field_of(error)) == (CODE.INVALID_ARGUMENT, "current_password")
    error = refused(identity.UpdateProfile, I.UpdateProfileRequest(user_id=user.id, email=new_email,
                                                                   current_password="wrong-password-1"))
    assert error.code() == CODE.PERMISSION_DENIED

    moved = identity.UpdateProfile(I.UpdateProfileRequest(user_id=user.id, email=new_email,
                                                          current_password=PASSWORD)).user
    assert (moved.email, moved.display_name) == (new_email, "After")
    assert sign_in(identity_channel, new_email).user.id == user.id
    assert refused(sign_in, identity_channel, user.email).code() == CODE.UNAUTHENTICATED


def test_an_email_change_to_a_taken_address_is_already_exists(identity, identity_channel):
    first, second = register(identity_channel), register(identity_channel)
    error = refused(identity.UpdateProfile, I.UpdateProfileRequest(
        user_id=second.id, email=first.email.upper(), current_password=PASSWORD))
    assert (error.code(), reason_of(error)[0]) == (CODE.ALREADY_EXISTS, "EMAIL_TAKEN")


def test_the_same_email_needs_no_password(identity, identity_channel):
    user = register(identity_channel)
    assert identity.UpdateProfile(I.UpdateProfileRequest(user_id=user.id, email=user.email)).user == user


@pytest.mark.parametrize("rpc, message", [
    ("GetProfile", I.GetProfileRequest(user_id="00000000-0000-4000-8000-000000000000")),
    ("UpdateProfile", I.UpdateProfileRequest(user_id="no-such-user", display_name="X")),
    ("ChangePassword", I.ChangePasswordRequest(user_id="no-such-user", current_password=PASSWORD,
                                               new_password="another-Passphrase-7")),
    ("DeleteAccount", I.DeleteAccountRequest(user_id="x" * 500, password=PASSWORD)),
])
def test_an_unknown_user_is_not_found(identity, rpc, message):
    assert refused(getattr(identity, rpc), message).code() == CODE.NOT_FOUND


def test_changing_the_password(identity, identity_channel):
    user = register(identity_channel)
    new = "another-Passphrase-7"
    error = refused(identity.ChangePassword, I.ChangePasswordRequest(
        user_id=user.id, current_password="wrong-password-1", new_password=new))
    assert (error.code(), error.details()) == (CODE.PERMISSION_DENIED, "current_password is incorrect")
    error = refused(identity.ChangePassword, I.ChangePasswordRequest(
        user_id=user.id, current_password=PASSWORD, new_password="tiny"))
    assert (error.code(), field_of(error)) == (CODE.INVALID_ARGUMENT, "new_password")
    error = refused(identity.ChangePassword, I.ChangePasswordRequest(
        user_id=user.id, current_password=PASSWORD, new_password=PASSWORD))
    assert (error.code(), field_of(error)) == (CODE.INVALID_ARGUMENT, "new_password")

    identity.ChangePassword(I.ChangePasswordRequest(user_id=user.id, current_password=PASSWORD, new_password=new))
    assert refused(sign_in, identity_channel, user.email).code() == CODE.UNAUTHENTICATED
    assert sign_in(identity_channel, user.email, new).user.id == user.id


def test_a_deleted_account_cannot_sign_in_and_its_email_can_register_again(identity, identity_channel):
    user = register(identity_channel)
    session = sign_in(identity_channel, user.email)
    error = refused(identity.DeleteAccount, I.DeleteAccountRequest(user_id=user.id, password="wrong-password-1"))
    assert (error.code(), error.details()) == (CODE.PERMISSION_DENIED, "password is incorrect")

    identity.DeleteAccount(I.DeleteAccountRequest(user_id=user.id, password=PASSWORD))
    assert refused(sign_in, identity_channel, user.email).code() == CODE.UNAUTHENTICATED
    assert refused(identity.GetProfile, I.GetProfileRequest(user_id=user.id)).code() == CODE.NOT_FOUND
    error = refused(identity.Refresh, I.RefreshRequest(user_id=user.id, jti=session.refresh_token.jti))
    assert error.code() == CODE.UNAUTHENTICATED
    assert register(identity_channel, user.email).id != user.id


def test_the_first_admin_from_the_environment_can_sign_in_as_admin(identity_channel):
    reply = sign_in(identity_channel, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert list(reply.user.roles) == ["customer", "admin"]
    assert list(reply.access_token.roles) == ["customer", "admin"]
