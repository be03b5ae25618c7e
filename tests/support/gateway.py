"""Talking to the KrakenD gateway in tests: a client that keeps a user's tokens, and tokens
made by hand (forged, expired, unsigned) to show what the gateway refuses."""
from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jwcrypto import jwk, jwt

from devstack.jwk import KEY_ID, PRIVATE_FILE
from tests.support.http import Reply, request
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD

ISSUER = "shop-identity"
ACCESS_AUDIENCE = "shop-api"
REFRESH_AUDIENCE = "shop-refresh"
# A password that passes identity's rule; each test user gets a unique email.
PASSWORD = "correct horse battery staple"


@dataclass
class Gateway:
    url: str
    keys_dir: Path
    log_path: Path

    def call(self, method: str, path: str, body=None, *, token: str | None = None,
             headers: dict | None = None, raw: bytes | None = None, timeout: float = 10) -> Reply:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return request(method, self.url + path, body, raw=raw, headers={**auth, **(headers or {})}, timeout=timeout)

    def signing_key(self) -> jwk.JWK:
        """The gateway's own private key (the test made it, so the test may use it)."""
        keys = jwk.JWKSet.from_json((self.keys_dir / PRIVATE_FILE).read_text())
        return keys.get_key(KEY_ID)


@dataclass
class User:
    """A registered user and, once logged in, their tokens."""
    gateway: Gateway
    email: str
    password: str = PASSWORD
    id: str = ""
    access_token: str = ""
    refresh_token: str = ""
    profile: dict = field(default_factory=dict)

    def call(self, method: str, path: str, body=None, **kwargs) -> Reply:
        return self.gateway.call(method, path, body, token=self.access_token, **kwargs)

    def login(self) -> Reply:
        reply = self.gateway.call("POST", "/api/v1/login", {"email": self.email, "password": self.password})
        if reply.status == 200:
            self._take_tokens(reply.json())
        return reply

    def refresh(self, refresh_token: str | None = None) -> Reply:
        reply = self.gateway.call("POST", "/api/v1/token/refresh", token=refresh_token or self.refresh_token)
        if reply.status == 200:
            self._take_tokens(reply.json())
        return reply

    def _take_tokens(self, body: dict) -> None:
        self.access_token, self.refresh_token = body["access_token"], body["refresh_token"]
        self.profile = body["user"]
        self.id = self.profile["id"]


def new_email(tag: str = "api") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def register(gateway: Gateway, tag: str = "api", display_name: str = "API Tester") -> User:
    user = User(gateway, new_email(tag))
    reply = gateway.call("POST", "/api/v1/users",
                         {"email": user.email, "password": user.password, "displayName": display_name})
    assert reply.status == 200, (reply.status, reply.body)
    user.id = reply.json()["user"]["id"]
    return user


def signed_in(gateway: Gateway, tag: str = "api") -> User:
    user = register(gateway, tag)
    reply = user.login()
    assert reply.status == 200, (reply.status, reply.body)
    return user


def claims(sub: str, *, audience: str = ACCESS_AUDIENCE, issuer: str = ISSUER, roles=("customer",),
           lifetime: int = 900, issued: int | None = None) -> dict:
    issued = int(time.time()) if issued is None else issued
    return {"sub": sub, "iss": issuer, "aud": audience, "iat": issued, "exp": issued + lifetime,
            "jti": uuid.uuid4().hex, "roles": list(roles)}


def sign(key: jwk.JWK, payload: dict, *, alg: str = "RS256", kid: str = KEY_ID) -> str:
    token = jwt.JWT(header={"alg": alg, "kid": kid, "typ": "JWT"}, claims=payload)
    token.make_signed_token(key)
    return token.serialize()


def unsigned(payload: dict) -> str:
    """A token with "alg": "none" and no signature."""
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': KEY_ID})}.{part(payload)}."


def token_claims(token: str) -> dict:
    """The payload of a compact JWT, unverified (for looking, not trusting)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# A checkout's address and paymentservice's always-approved test card, as API JSON.
ADDRESS = {"name": "Ada Lovelace", "addressLines": ["12 St James's Square"], "city": "Boston", "region": "MA",
           "postalCode": "02108", "countryCode": "US"}
GOOD_CARD = {"number": "4242 4242 4242 4242", "cvv": "123", "expiryMonth": 12, "expiryYear": 2035,
             "holderName": "Ada Lovelace"}


def stock_a_product(gateway: Gateway, *, stock: int = 10, name: str | None = None) -> dict:
    admin = User(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.login().status == 200
    suffix = uuid.uuid4().hex[:8]
    reply = admin.call("POST", "/api/v1/admin/products", {
        "id": f"api-{suffix}", "name": name or f"Gateway Teapot {suffix}", "description": "Pours well.",
        "price": {"currencyCode": "USD", "units": "24", "nanos": 500000000}, "categories": ["kitchen"],
        "stock": stock,
    })
    assert reply.status == 200, reply.body
    return reply.json()["product"]
