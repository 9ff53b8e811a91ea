"""The randomized checker for executions: at least 100 seeded fault schedules
(daemons killed or paused before a claim, after it, after marking the
request running, after the execution record, after finishing it; the clock
past leases and expiries; approvers racing each other and the daemons) over
the real execute-approved and automatic-run paths on the shared MariaDB.
No request runs twice, after a rejection or expiry, or after it was closed;
untouched ones run exactly once (``tests.support.execution_check``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.store.db import create_engine_for
from tests.fakes.clock import FakeClock
from tests.support import services as support
from tests.support.execution_rig import POLICY, ExecutionRig, open_rig
from tests.support.execution_seams import Seam
from tests.support.execution_sim import run_schedules

pytestmark = [pytest.mark.mariadb]

SCHEDULES = int(os.environ.get("SSOP_EXECUTION_SCHEDULES", "100"))
BASE_SEED = int(os.environ.get("SSOP_EXECUTION_SEED", "4100"))
EVERY_FAULT_BY = 100  # schedules after which each kind of fault has struck


@pytest.fixture
def rig(mariadb_url: str, isolated_env: dict[str, str]) -> Iterator[ExecutionRig]:
    engine = create_engine_for(mariadb_url)
    support.clean_tables(engine)
    environ = dict(isolated_env, SSOP_DATABASE_URL=mariadb_url)
    config = load_config(
        overrides=POLICY, environ=environ, system_config=Path("/nonexistent")
    )
    built = open_rig(config, FakeClock())
    yield built
    built.close()
    support.clean_tables(engine)
    engine.dispose()


def test_randomized_fault_schedules_execute_each_request_at_most_once(
    rig: ExecutionRig,
) -> None:
    tally = run_schedules(rig, range(BASE_SEED, BASE_SEED + SCHEDULES))
    print(f"seeds {BASE_SEED}..{BASE_SEED + SCHEDULES - 1}: {tally.line()}")
    for out in tally.failing:
        print(f"seed {out.seed}: {out.plan}\n  faults {out.faults}")
        print("\n".join(f"  {p}" for p in out.problems))
    failures = [(out.seed, out.problems[:3], out.faults) for out in tally.failing]
    assert failures == [], failures[:3]
    assert tally.most == 1
    assert sum(tally.faults.values()) >= SCHEDULES  # the schedules did strike
    if SCHEDULES >= EVERY_FAULT_BY:
        assert len(tally.faults) == 2 * len(Seam), tally.faults
