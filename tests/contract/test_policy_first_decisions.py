"""Daemons deciding at once on a store whose policy lock row is not written
yet (a fresh store) all decide: the lost lock race is retried, not raised
out of the policy step. On MariaDB the two inserts of that row deadlock
inside their savepoints; the execution schedules' seed 4100 found it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from ssop.core.config.loader import LoadedConfig
from ssop.core.models import AutomationState
from ssop.core.policy.service import ProcessReport
from ssop.core.policy.states import Outcome
from ssop.core.services import Services, build_services
from tests.fakes.clock import FakeClock
from tests.support.execution_rig import add_servers, noop_action, proposals

DAEMONS, ROUNDS = 3, 8


@pytest.fixture
def daemons(loaded_config: LoadedConfig, clock: FakeClock) -> Iterator[list[Services]]:
    built = [build_services(loaded_config, clock=clock) for _ in range(DAEMONS)]
    built[0].store.seed()
    noop_action(built[0])
    yield built
    for services in built:
        services.close()


def decide_at_once(daemons: list[Services], seed: int) -> list[object]:
    """Each daemon decides its own proposal, all starting together."""
    names = [f"r{seed}-{n}" for n in range(len(daemons))]
    add_servers(daemons[0], names, automatic=False)
    barrier = threading.Barrier(len(daemons))
    results: list[object] = [None] * len(daemons)

    def decide(n: int) -> None:
        barrier.wait()
        try:
            results[n] = daemons[n].remediation.process(
                proposals(seed, names)[n : n + 1]
            )
        except Exception as e:  # the failure under test; kept as data
            results[n] = e

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(len(daemons))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_daemons_deciding_at_once_on_a_fresh_store_all_decide(
    daemons: list[Services],
) -> None:
    for seed in range(1, ROUNDS + 1):
        with daemons[0].sessions() as s, s.begin():
            s.exec(delete(AutomationState))
        results = decide_at_once(daemons, seed)
        reports = [r for r in results if isinstance(r, ProcessReport)]
        assert len(reports) == DAEMONS, results
        outcomes = [d.outcome for r in reports for d in r.decided]
        assert outcomes == [Outcome.QUEUED] * DAEMONS, [r.errors for r in reports]
