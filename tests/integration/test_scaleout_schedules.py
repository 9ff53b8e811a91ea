"""The randomized checker: at least 100 fault schedules (kills, pauses in and
between crawls, Redis restarted empty, daemons joining) over the real claim
code on a real Redis. Per interval: no host twice, misses only where a
daemon died or was paused."""

from __future__ import annotations

import os

import pytest

from ssop.core.queue.redis_claims import RedisClaims
from tests.support import services as support
from tests.support.scaleout_sim import Simulation

pytestmark = [pytest.mark.redis]

SCHEDULES = int(os.environ.get("SSOP_SCALEOUT_SCHEDULES", "100"))
BASE_SEED = int(os.environ.get("SSOP_SCALEOUT_SEED", "1700"))


def test_randomized_fault_schedules_crawl_each_host_once(redis_db: int) -> None:
    client = support.redis_client(redis_db)
    claims = RedisClaims(client)
    failures, faults = [], 0
    for seed in range(BASE_SEED, BASE_SEED + SCHEDULES):
        support.flush_keeping_claim(client)
        sim = Simulation(seed, claims, lambda: support.flush_keeping_claim(client))
        outcome = sim.run(intervals=12)
        faults += len(outcome.faults)
        if outcome.problems:
            failures.append((seed, outcome.problems[:3], outcome.faults))
    client.close()
    print(f"{SCHEDULES} schedules from seed {BASE_SEED}: {faults} faults")
    assert failures == [], failures[:3]
    assert faults >= SCHEDULES  # the schedules did inject faults
