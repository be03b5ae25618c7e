"""identityservice through its HTTP/JSON facade, served from the proto's annotations: the
claims JSON the gateway signs, and errors as JSON bodies with 400/401/409/429; and
grpcurl through server reflection."""
import json
import subprocess

import pytest

from tests.support.http import request
from tests.support.identity import LOGIN_MAX_FAILURES, PASSWORD, unique_email
from tests.support.tools import tool


@pytest.fixture
def url(identity_service):
    return identity_service.http_url


def register(url, email, password=PASSWORD):
    return request("POST", f"{url}/v1/users", {"email": email, "password": password, "displayName": "Ada"})


def test_register_and_sign_in_over_http_give_the_claims_as_json_objects(url):
    email = unique_email("http")
    created = register(url, email)
    assert created.status == 200, created.body
    user = created.json()["user"]
    assert (user["email"], user["displayName"], user["roles"]) == (email, "Ada", ["customer"])

    reply = request("POST", f"{url}/v1/sessions", {"email": email, "password": PASSWORD})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert set(body) == {"access_token", "refresh_token", "user"}
    for name, audience in (("access_token", "shop-api"), ("refresh_token", "shop-refresh")):
        claims = body[name]
        assert set(claims) == {"sub", "iss", "aud", "exp", "iat", "jti", "roles"}
        assert (claims["sub"], claims["iss"], claims["aud"], claims["roles"]) == (
            user["id"], "shop-identity", audience, ["customer"])
        assert type(claims["exp"]) is int and type(claims["iat"]) is int  # NumericDate: numbers, not strings
    assert body["access_token"]["exp"] - body["access_token"]["iat"] == 900


def test_refresh_and_logout_over_http(url):
    email = unique_email("http")
    user_id = register(url, email).json()["user"]["id"]
    tokens = request("POST", f"{url}/v1/sessions", {"email": email, "password": PASSWORD}).json()
    refresh_jti = tokens["refresh_token"]["jti"]

    renewed = request("POST", f"{url}/v1/users/{user_id}/sessions/{refresh_jti}:refresh")
    assert renewed.status == 200, renewed.body
    assert renewed.json()["refresh_token"]["jti"] != refresh_jti

    new_access = renewed.json()["access_token"]["jti"]
    assert request("DELETE", f"{url}/v1/users/{user_id}/sessions/{new_access}").json() == {}
    gone = request("POST", f"{url}/v1/users/{user_id}/sessions/{renewed.json()['refresh_token']['jti']}:refresh")
    assert gone.status == 401
    assert gone.json() == {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                     "message": "invalid or expired refresh token"}}


def test_a_wrong_password_is_a_401_saying_nothing_more(url):
    email = unique_email("http")
    register(url, email)
    for who in (email, unique_email("nobody")):
        reply = request("POST", f"{url}/v1/sessions", {"email": who, "password": "wrong-password-1"})
        assert reply.status == 401
        assert reply.json() == {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                          "message": "invalid email or password"}}


def test_a_taken_email_is_a_409_with_its_reason(url):
    email = unique_email("http")
    register(url, email)
    reply = register(url, email.upper())
    assert reply.status == 409
    error = reply.json()["error"]
    assert (error["status"], error["message"]) == ("ALREADY_EXISTS", "an account with this email address already exists")
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "EMAIL_TAKEN",
                                 "domain": "shop"}]


def test_a_weak_password_is_a_400_naming_the_field(url):
    reply = register(url, unique_email("http"), password="short")
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["message"].startswith("password is too short")
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                 "fieldViolations": [{"field": "password", "description": error["message"]}]}]


def test_a_locked_address_is_a_429_saying_when_to_retry(url):
    email = unique_email("http")
    for _ in range(LOGIN_MAX_FAILURES):
        request("POST", f"{url}/v1/sessions", {"email": email, "password": "wrong-password-1"})
    reply = request("POST", f"{url}/v1/sessions", {"email": email, "password": "wrong-password-1"})
    assert reply.status == 429
    [info] = reply.json()["error"]["details"]
    assert info["reason"] == "TOO_MANY_ATTEMPTS" and int(info["metadata"]["retry_after_seconds"]) >= 1


def test_an_admin_locks_and_unlocks_over_http_and_a_locked_sign_in_is_a_403_with_its_reason(url):
    email = unique_email("http")
    user_id = register(url, email).json()["user"]["id"]
    locked = request("POST", f"{url}/v1/users/{user_id}:lock", {"reason": "chargeback"})
    assert locked.status == 200, locked.body
    user = locked.json()["user"]
    assert (user["locked"], user["lockReason"]) == (True, "chargeback")
    assert "lockTime" in user

    reply = request("POST", f"{url}/v1/sessions", {"email": email, "password": PASSWORD})
    assert reply.status == 403
    error = reply.json()["error"]
    assert (error["status"], error["message"]) == (
        "PERMISSION_DENIED", "this account is locked by the shop: contact customer service to have it unlocked")
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCOUNT_LOCKED",
                                 "domain": "shop"}]

    unlocked = request("POST", f"{url}/v1/users/{user_id}:unlock")  # a bare POST: no fields needed
    assert unlocked.status == 200 and unlocked.json()["user"]["locked"] is False
    assert "lockTime" not in unlocked.json()["user"]
    assert request("POST", f"{url}/v1/sessions", {"email": email, "password": PASSWORD}).status == 200


def test_healthz_follows_postgres(url):
    assert request("GET", f"{url}/healthz").json() == {"status": "SERVING", "checks": {"postgres": "ok"}}


def grpcurl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("grpcurl"), "-plaintext", *args], capture_output=True, text=True, timeout=30)


def test_grpcurl_lists_describes_and_calls_the_service(identity_service):
    listed = grpcurl(identity_service.address, "list")
    assert listed.returncode == 0, listed.stderr
    assert {"shop.identity.v1.IdentityService", "grpc.health.v1.Health"} <= set(listed.stdout.split())
    described = grpcurl(identity_service.address, "describe", "shop.identity.v1.IdentityService")
    for rpc in ("Register", "Authenticate", "Refresh", "Logout", "ListUsers", "SetUserRoles", "LockUser",
                "UnlockUser"):
        assert f"rpc {rpc} (" in described.stdout

    email = unique_email("grpcurl")
    body = json.dumps({"email": email, "password": PASSWORD})
    assert grpcurl("-d", body, identity_service.address, "shop.identity.v1.IdentityService/Register").returncode == 0
    signed_in = grpcurl("-d", body, identity_service.address, "shop.identity.v1.IdentityService/Authenticate")
    assert signed_in.returncode == 0, signed_in.stderr
    assert json.loads(signed_in.stdout)["access_token"]["aud"] == "shop-api"
