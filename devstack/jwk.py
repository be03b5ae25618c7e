"""The gateway's signing key for development and tests: an RSA key made on first use and
kept beside the configuration that reads it, never committed (krakend/keys/ is ignored).

KrakenD signs tokens with the private set and checks them with the public one; both are
JSON Web Key Sets with one key whose id the configuration names (KEY_ID)."""
from __future__ import annotations

import os
from pathlib import Path

from jwcrypto import jwk

KEY_ID = "shop-dev-1"
PRIVATE_FILE = "private.jwks.json"
PUBLIC_FILE = "public.jwks.json"


def ensure_keys(directory: Path) -> tuple[Path, Path]:
    """The private and public key set files in directory, made there if either is missing."""
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / PRIVATE_FILE, directory / PUBLIC_FILE
    if private.exists() and public.exists():
        return private, public
    key = jwk.JWK.generate(kty="RSA", size=2048, alg="RS256", use="sig", kid=KEY_ID)
    keys = jwk.JWKSet()
    keys.add(key)
    _write(private, keys.export(private_keys=True), mode=0o600)
    _write(public, keys.export(private_keys=False), mode=0o644)
    return private, public


def _write(path: Path, text: str, mode: int) -> None:
    """Atomically, so a reader never sees half a key."""
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(partial, path)
