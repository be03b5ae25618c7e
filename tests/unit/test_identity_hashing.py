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


def test_the_memory_of_a_hash_goes_back_to_the_system_when_it_ends():
    """Many hashes on the service's two threads leave the process no bigger (in a process
    of its own, as the service runs: return_hash_memory first)."""
    import subprocess
    import sys
    script = """
import gc, psutil
from concurrent.futures import ThreadPoolExecutor
from identityservice.hashing import owasp_hasher, return_hash_memory
assert return_hash_memory()
hasher, process = owasp_hasher(), psutil.Process()
with ThreadPoolExecutor(2) as pool:
    list(pool.map(lambda _: None, range(4)))  # the threads exist
    before = process.memory_info().rss
    list(pool.map(lambda _: hasher.hash("correct horse"), range(40)))
    gc.collect()
    print((process.memory_info().rss - before) / 1e6)
"""
    grown = float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert grown < 10, f"RSS grew {grown:.1f} MB over 40 hashes"
