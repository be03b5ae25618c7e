"""The first admin from ADMIN_EMAIL/ADMIN_PASSWORD, each case with a process of its own:
an account is created, or promoted only when ADMIN_PROMOTE_EXISTING allows it (its
password never overwritten); a configuration that cannot make an admin, or would promote
an ordinary account unasked, stops the start with a message naming the variable; and no
password, hash or token ever reaches the service's log."""
import uuid

import grpc
import pytest

from shop.identity.v1 import identity_pb2 as I
from tests.support.identity import ADMIN_PASSWORD, PASSWORD, refused, register, sign_in, stub
from tests.support.services import ServiceProcess


def fresh_database(postgres) -> str:
    name = f"identity_{uuid.uuid4().hex[:8]}"
    postgres.create_databases([name])
    return postgres.url(name)


def identity_process(database_url, artifacts_dir, **env) -> ServiceProcess:
    return ServiceProcess("identityservice", {"DATABASE_URL": database_url, **env},
                          artifacts_dir / f"identityservice-{uuid.uuid4().hex[:8]}.log")


def test_an_existing_ordinary_account_is_not_promoted_unasked_the_start_stops(postgres, identity_service,
                                                                              identity_channel, artifacts_dir):
    user = register(identity_channel)
    with pytest.raises(RuntimeError, match="exited with 2") as caught:
        identity_process(postgres.url("identity_test"), artifacts_dir, ADMIN_EMAIL=user.email,
                         ADMIN_PASSWORD="not-the-users-Passphrase-9").start()
    assert "configuration error: ADMIN_EMAIL names an existing account that is not an admin" in str(caught.value)
    assert "ADMIN_PROMOTE_EXISTING=true" in str(caught.value)
    profile = stub(identity_channel).GetProfile(I.GetProfileRequest(user_id=user.id))
    assert list(profile.user.roles) == ["customer"]


def test_an_existing_account_is_promoted_when_allowed_and_keeps_its_password(postgres, identity_service,
                                                                            identity_channel, artifacts_dir):
    user = register(identity_channel)
    other_password = "not-the-users-Passphrase-9"
    with identity_process(postgres.url("identity_test"), artifacts_dir, ADMIN_EMAIL=user.email.upper(),
                          ADMIN_PASSWORD=other_password, ADMIN_PROMOTE_EXISTING="true") as second:
        assert "gave the existing account the admin role" in second.log_text()
    identity = stub(identity_channel)
    assert list(identity.GetProfile(I.GetProfileRequest(user_id=user.id)).user.roles) == ["customer", "admin"]
    assert sign_in(identity_channel, user.email).user.id == user.id
    assert refused(sign_in, identity_channel, user.email, other_password).code() == grpc.StatusCode.UNAUTHENTICATED
    identity.SetUserRoles(I.SetUserRolesRequest(user_id=user.id, roles=["customer"]))


def test_an_existing_account_needs_no_admin_password(postgres, identity_service, artifacts_dir):
    with identity_process(postgres.url("identity_test"), artifacts_dir, ADMIN_EMAIL="admin@shop.test") as again:
        assert "the account is already an admin" in again.log_text()


def test_a_new_admin_without_a_password_stops_the_start(postgres, artifacts_dir):
    with pytest.raises(RuntimeError, match="exited with 2") as caught:
        identity_process(fresh_database(postgres), artifacts_dir, ADMIN_EMAIL="root@shop.local").start()
    assert "configuration error: ADMIN_PASSWORD is required" in str(caught.value)


def test_a_weak_admin_password_stops_the_start_without_showing_it(postgres, artifacts_dir):
    with pytest.raises(RuntimeError, match="exited with 2") as caught:
        identity_process(fresh_database(postgres), artifacts_dir, ADMIN_EMAIL="root@shop.local",
                         ADMIN_PASSWORD="root-pw").start()
    assert "configuration error: ADMIN_PASSWORD: password is too short" in str(caught.value)
    assert "root-pw" not in str(caught.value)


def test_a_new_admin_on_a_special_use_domain_is_created_and_signs_in(postgres, artifacts_dir):
    with identity_process(fresh_database(postgres), artifacts_dir, ADMIN_EMAIL="admin@shop.local",
                          ADMIN_PASSWORD=ADMIN_PASSWORD) as service:
        with grpc.insecure_channel(service.address) as channel:
            reply = sign_in(channel, "Admin@Shop.Local", ADMIN_PASSWORD)
    assert (reply.user.email, list(reply.user.roles)) == ("admin@shop.local", ["customer", "admin"])


def test_no_password_hash_or_token_reaches_the_log(identity_service, identity_channel):
    identity = stub(identity_channel)
    secret, new_secret = "Unmistakable-Secret-1", "Another-Unmistakable-2"
    user = register(identity_channel, password=secret)
    refused(sign_in, identity_channel, user.email, "Wrong-Unmistakable-3")
    session = sign_in(identity_channel, user.email, secret)
    renewed = identity.Refresh(I.RefreshRequest(user_id=user.id, jti=session.refresh_token.jti))
    identity.ChangePassword(I.ChangePasswordRequest(user_id=user.id, current_password=secret, new_password=new_secret))
    refused(identity.Register, I.RegisterRequest(email=user.email, password="Leaky-Unmistakable-4"))

    log = identity_service.log_text()
    assert user.id in log  # the log does record what happened
    for leak in (secret, new_secret, "Wrong-Unmistakable-3", "Leaky-Unmistakable-4", ADMIN_PASSWORD, PASSWORD,
                 "$argon2", session.access_token.jti, session.refresh_token.jti, renewed.refresh_token.jti):
        assert leak not in log
