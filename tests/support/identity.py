"""What the identity tests share: the first admin the session's identityservice is
configured with, its small lockout limits, and helpers to register and sign in."""
from __future__ import annotations

import uuid

import grpc

from shop.identity.v1 import identity_pb2, identity_pb2_grpc

ADMIN_EMAIL = "admin@shop.test"
ADMIN_PASSWORD = "correct-horse-battery-staple"
# Small limits, so lockout and its end can be seen within a test.
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK_SECONDS = 2
# Password checks per client address: the whole suite signs in from 127.0.0.1, so it is
# generous here (a sign-in takes ~20 ms, so a test can make dozens a second); a test that
# wants the limit sends a burst as another client.
LOGIN_RATE_PER_CLIENT = "100/second"
PASSWORD = "a-long-Passphrase-42"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def stub(channel) -> identity_pb2_grpc.IdentityServiceStub:
    return identity_pb2_grpc.IdentityServiceStub(channel)


def register(channel, email: str | None = None, password: str = PASSWORD, display_name: str = "") -> identity_pb2.User:
    return stub(channel).Register(identity_pb2.RegisterRequest(
        email=email or unique_email(), password=password, display_name=display_name)).user


def sign_in(channel, email: str, password: str = PASSWORD) -> identity_pb2.AuthenticateResponse:
    return stub(channel).Authenticate(identity_pb2.AuthenticateRequest(email=email, password=password))


def refused(call, *args, **kwargs) -> grpc.RpcError:
    """The error a call that must fail raised."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        return error
    raise AssertionError(f"{call} succeeded but should have failed")
