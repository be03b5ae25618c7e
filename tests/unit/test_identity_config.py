import grpc
import pytest

from identityservice import config, errors
from identityservice.server import STATUS_BY_ERROR
from service_runtime.config import ConfigError, Env
from service_runtime.interceptors import status_for
from service_runtime.paging import InvalidPage

REQUIRED = {"DATABASE_URL": "postgresql://shop@127.0.0.1:5432/identity"}


def test_defaults_follow_the_port_table_and_the_design():
    loaded = config.load(Env(REQUIRED))
    assert (loaded.runtime.grpc_port, loaded.runtime.http_port) == (50057, 8057)
    tokens = loaded.tokens
    assert (tokens.issuer, tokens.access_audience, tokens.refresh_audience) == ("shop-identity", "shop-api", "shop-refresh")
    assert (tokens.access_ttl_seconds, tokens.refresh_ttl_seconds) == (900, 1_209_600)
    lockout = loaded.lockout
    assert (lockout.max_failures, lockout.window.total_seconds(), lockout.lock.total_seconds()) == (5, 900, 900)
    assert (loaded.admin_email, loaded.admin_password) == ("", "")


def test_everything_can_be_set():
    loaded = config.load(Env({**REQUIRED, "TOKEN_ISSUER": "iss", "ACCESS_AUDIENCE": "a", "REFRESH_AUDIENCE": "r",
                              "ACCESS_TOKEN_TTL_SECONDS": "60", "REFRESH_TOKEN_TTL_SECONDS": "3600",
                              "LOGIN_MAX_FAILURES": "3", "LOGIN_FAILURE_WINDOW_SECONDS": "30",
                              "LOGIN_LOCK_SECONDS": "2", "ADMIN_EMAIL": "root@example.com",
                              "ADMIN_PASSWORD": "a-long-Passphrase-42"}))
    assert (loaded.tokens.issuer, loaded.tokens.access_ttl_seconds, loaded.tokens.refresh_ttl_seconds) == ("iss", 60, 3600)
    assert (loaded.lockout.max_failures, loaded.lockout.lock.total_seconds()) == (3, 2)
    assert loaded.admin_email == "root@example.com"


def test_the_admin_password_never_shows_in_the_config_repr():
    loaded = config.load(Env({**REQUIRED, "ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": "s3cret-Passphrase"}))
    assert "s3cret" not in repr(loaded)


@pytest.mark.parametrize("environ, name", [
    ({}, "DATABASE_URL"),
    ({**REQUIRED, "ACCESS_TOKEN_TTL_SECONDS": "0"}, "ACCESS_TOKEN_TTL_SECONDS"),
    ({**REQUIRED, "LOGIN_MAX_FAILURES": "many"}, "LOGIN_MAX_FAILURES"),
    ({**REQUIRED, "ADMIN_PASSWORD": "a-long-Passphrase-42"}, "ADMIN_EMAIL"),
    ({**REQUIRED, "LOGIN_RATE_PER_CLIENT": "often"}, "LOGIN_RATE_PER_CLIENT"),
])
def test_bad_configuration_names_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        config.load(Env(environ))


@pytest.mark.parametrize("error, code", [
    (errors.InvalidArgument("email", "email is required"), grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidPage("page_token is not one this service issued"), grpc.StatusCode.INVALID_ARGUMENT),
    (errors.EmailTaken(), grpc.StatusCode.ALREADY_EXISTS),
    (errors.InvalidCredentials(), grpc.StatusCode.UNAUTHENTICATED),
    (errors.InvalidRefreshToken(), grpc.StatusCode.UNAUTHENTICATED),
    (errors.WrongPassword("current_password"), grpc.StatusCode.PERMISSION_DENIED),
    (errors.TooManyAttempts(30), grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.TooManyRequests(1), grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.UserNotFound("u"), grpc.StatusCode.NOT_FOUND),
    (errors.LastAdmin(), grpc.StatusCode.FAILED_PRECONDITION),
])
def test_every_named_error_has_its_status(error, code):
    assert status_for(error, STATUS_BY_ERROR) == code


def test_refusals_carry_their_error_info():
    assert errors.EmailTaken().reason == "EMAIL_TAKEN"
    locked = errors.TooManyAttempts(42)
    assert (locked.reason, locked.metadata) == ("TOO_MANY_ATTEMPTS", {"retry_after_seconds": "42"})
    assert "42 seconds" in str(locked)


def test_a_misconfigured_first_admin_is_not_a_status():
    assert status_for(errors.AdminPasswordRequired("x"), STATUS_BY_ERROR) is None
