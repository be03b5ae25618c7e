"""Password hashing with argon2id (argon2-cffi's PasswordHasher) at OWASP's recommended
configuration: 19 MiB, 2 iterations, 1 lane. argon2-cffi's default (64 MiB, 3 iterations,
4 lanes) took about 120 ms of CPU a hash here, so 300 shoppers signing up in a minute
needed more than the shop's 2 cores; this takes about 20 ms. A hash made with other
parameters still verifies, and is redone at the next sign-in (needs_rehash).

Each hash or verification runs on a small thread pool of its own: the event loop stays
free, and a burst of sign-ins cannot take more memory than the pool's size allows.

That memory is given back after each hash (`return_hash_memory`): glibc serves a 19 MiB
block from mmap and unmaps it on free, but the first such free raises its dynamic mmap
threshold past 19 MiB, and from then on each hashing thread keeps its block in its own
arena for good. Measured: 2 threads, 40 hashes, +40 MB of RSS that never came back; with
a fixed threshold, +0.1 MB."""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id, m=19456 (19 MiB), t=2, p=1.
MEMORY_KIB, ITERATIONS, LANES = 19456, 2, 1


# mallopt's M_MMAP_THRESHOLD, and glibc's default threshold (setting it also turns off the
# dynamic adjustment).
_M_MMAP_THRESHOLD, _MMAP_THRESHOLD = -3, 128 * 1024


def return_hash_memory() -> bool:
    """Keep blocks as large as a hash's in mmap, so each goes back to the system when the
    hash ends (see the module's docstring). False where the C library has no mallopt."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))
    except (OSError, AttributeError, TypeError):
        return False


def owasp_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=ITERATIONS, memory_cost=MEMORY_KIB, parallelism=LANES)


class Argon2Hasher:
    def __init__(self, executor: ThreadPoolExecutor, hasher: PasswordHasher | None = None):
        self._executor = executor
        self._hasher = hasher or owasp_hasher()

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
