import asyncio

import pytest

from service_runtime.keylocks import KeyLocks


def test_one_key_runs_one_at_a_time_in_the_order_asked_other_keys_alongside():
    async def scenario():
        locks, log = KeyLocks(), []

        async def work(key, name, seconds):
            async with locks.hold(key):
                log.append(f"start {name}")
                await asyncio.sleep(seconds)
                log.append(f"end {name}")

        # started in this order, as a consumer starts one task per message as they arrive
        tasks = [asyncio.create_task(work("order-1", "a1", 0.05)), asyncio.create_task(work("order-1", "a2", 0.0)),
                 asyncio.create_task(work("order-2", "b1", 0.01)), asyncio.create_task(work("order-1", "a3", 0.0))]
        await asyncio.gather(*tasks)
        return log, len(locks)

    log, left = asyncio.run(scenario())
    order_1 = [line for line in log if line.endswith(("a1", "a2", "a3"))]
    assert order_1 == ["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]
    # order-2 did not wait for order-1
    assert log.index("end b1") < log.index("end a1")
    assert left == 0


def test_a_failure_lets_the_next_one_in_and_leaves_nothing_behind():
    async def scenario():
        locks, ran = KeyLocks(), []

        async def failing():
            async with locks.hold("k"):
                await asyncio.sleep(0.01)
                raise RuntimeError("boom")

        async def next_one():
            async with locks.hold("k"):
                ran.append("next")

        first, second = asyncio.create_task(failing()), asyncio.create_task(next_one())
        with pytest.raises(RuntimeError):
            await first
        await second
        return ran, len(locks)

    assert asyncio.run(scenario()) == (["next"], 0)


def test_a_cancelled_waiter_is_forgotten():
    async def scenario():
        locks = KeyLocks()
        release = asyncio.Event()

        async def holder():
            async with locks.hold("k"):
                await release.wait()

        async def waiter():
            async with locks.hold("k"):
                pass

        held, waiting = asyncio.create_task(holder()), asyncio.create_task(waiter())
        await asyncio.sleep(0.01)
        assert len(locks) == 1
        waiting.cancel()
        release.set()
        await held
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return len(locks)

    assert asyncio.run(scenario()) == 0
