"""Password hashing with argon2id (argon2-cffi's PasswordHasher, default parameters).
Each hash or verification takes tens of milliseconds and 64 MiB, so they run on a small
thread pool of their own: the event loop stays free, and a burst of sign-ins cannot
take more memory than the pool's size allows."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, executor: ThreadPoolExecutor, hasher: PasswordHasher | None = None):
        self._executor = executor
        self._hasher = hasher or PasswordHasher()

    async def _run(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(self._matches, password_hash, password)

    def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):  # a mismatch, or a hash that is not argon2's
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False
