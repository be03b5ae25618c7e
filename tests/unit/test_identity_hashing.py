"""Passwords are hashed with argon2id at OWASP's recommended configuration; a hash made
with argon2-cffi's old default parameters still verifies, and asks to be redone."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher

from identityservice.hashing import Argon2Hasher

PASSWORD = "quiet-harbor-lantern-77"


def test_a_new_hash_is_argon2id_with_19_mib_2_iterations_1_lane():
    async def run():
        with ThreadPoolExecutor(1) as pool:
            hasher = Argon2Hasher(pool)
            made = await hasher.hash(PASSWORD)
            return made, await hasher.verify(made, PASSWORD), await hasher.verify(made, "wrong-" + PASSWORD), \
                hasher.needs_rehash(made)

    made, right, wrong, again = asyncio.run(run())
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert right and not wrong and not again


def test_a_hash_with_the_old_default_parameters_verifies_and_is_redone():
    old = PasswordHasher().hash(PASSWORD)  # 64 MiB, 3 iterations, 4 lanes

    async def run():
        with ThreadPoolExecutor(1) as pool:
            hasher = Argon2Hasher(pool)
            return await hasher.verify(old, PASSWORD), hasher.needs_rehash(old)

    assert asyncio.run(run()) == (True, True)
