"""The periodic worker: a round every interval, at once when a round asks, a failing
round logged once per outage and retried, and a stop that waits for the round under way."""
from __future__ import annotations

import asyncio
import logging

from service_runtime.periodic import Periodic


def run(scenario):
    return asyncio.run(scenario())


def test_rounds_come_every_interval_or_at_once_when_one_asks():
    async def scenario():
        rounds = []

        async def work():
            rounds.append(asyncio.get_running_loop().time())
            return len(rounds) < 3  # the first two left work undone

        worker = Periodic("test rounds", 0.2, work)
        await worker.start()
        await asyncio.sleep(0.5)
        await worker.stop()
        return rounds

    rounds = run(scenario)
    assert len(rounds) >= 4, rounds
    assert rounds[2] - rounds[0] < 0.1, "the rounds that asked came at once"
    assert all(later - earlier >= 0.19 for earlier, later in zip(rounds[2:], rounds[3:])), \
        "then a pause of the interval before each round"


def test_a_failing_round_is_logged_once_per_outage_and_tried_again(caplog):
    async def scenario():
        outcomes = iter([OSError("away"), OSError("still away"), None, OSError("away again"), None])

        async def work():
            outcome = next(outcomes, None)
            if outcome is not None:
                raise outcome

        worker = Periodic("test outage", 0.02, work)
        await worker.start()
        await asyncio.sleep(0.3)
        await worker.stop()

    with caplog.at_level(logging.INFO, logger="service_runtime.periodic"):
        run(scenario)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["test outage failed; trying again every 0.0 s", "test outage works again"] * 2, messages


def test_stop_waits_for_the_round_under_way_and_cancels_one_past_the_grace():
    async def scenario():
        finished = []

        async def short():
            await asyncio.sleep(0.1)
            finished.append("short")

        async def endless():
            await asyncio.sleep(3600)
            finished.append("endless")

        workers = [Periodic("short", 10, short), Periodic("endless", 10, endless)]
        for worker in workers:
            await worker.start()
        await asyncio.sleep(0.02)
        started = asyncio.get_running_loop().time()
        for worker in workers:
            await worker.stop(grace=0.3)
        return finished, asyncio.get_running_loop().time() - started

    finished, took = run(scenario)
    assert finished == ["short"] and took < 1.0
