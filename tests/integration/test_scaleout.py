"""Three real daemons share 60 loopback hosts on MariaDB and Redis; one is
killed (SIGKILL) mid-interval. From the database, per interval: every host
crawled exactly once, except that the killed daemon's share may be missed in
the interval it died in; and no approval executed twice."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ssop.core.ops.daemon_registry import DaemonState
from ssop.core.services import Services
from ssop.core.store.crawl_log_repo import CrawlLogRepo
from tests.support.approved import approve_noop
from tests.support.fleet import FLEET_MODULE_MARKS, Host, running_fleet
from tests.support.processes import Process
from tests.support.scaleout_check import (
    executions_of,
    per_interval,
    repeated_executions,
    violations,
)
from tests.support.scaleout_rig import (
    current_interval,
    daemon_env,
    fleet_store,
    start_daemons,
    stop_daemons,
    wait_for_phase,
)

pytestmark = FLEET_MODULE_MARKS

HOSTS, DAEMONS, EVERY_S = 60, 3, 8
APPROVED = 12  # requests every daemon's execute_approved step races for
AFTER_KILL = 3  # intervals checked after the one the victim died in


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Host]]:
    with running_fleet(tmp_path_factory.mktemp("fleet"), HOSTS) as hosts:
        yield hosts


@pytest.fixture
def env(
    mariadb_url: str, redis_db: int, isolated_env: dict[str, str], tmp_path: Path
) -> dict[str, str]:
    return daemon_env(
        isolated_env,
        database_url=mariadb_url,
        redis_url=f"redis://127.0.0.1:6379/{redis_db}",
        folder=tmp_path,
        every_s=EVERY_S,
    )


@pytest.fixture
def svc(mariadb_url: str, env: dict[str, str], fleet: list[Host]) -> Iterator[Services]:
    with fleet_store(mariadb_url, env, fleet) as services:
        yield services


def test_three_daemons_crawl_each_host_once_per_interval_and_survive_a_kill(
    svc: Services,
    env: dict[str, str],
    fleet: list[Host],
    tmp_path: Path,
    processes: list[Process],
) -> None:
    requests = approve_noop(svc, [h.name for h in fleet[:APPROVED]])
    daemons = start_daemons(DAEMONS, env, tmp_path, processes)
    first = current_interval(EVERY_S) + 1
    killed_in = first + 2
    wait_for_phase(killed_in, 0.25, EVERY_S)
    victim = daemons[0]
    victim.signal(signal.SIGKILL)
    victim.popen.wait()
    last = killed_in + AFTER_KILL
    wait_for_phase(last + 1, 0.1, EVERY_S)
    live = svc.membership.live_in_store()
    stop_daemons(daemons[1:])

    with svc.sessions() as s:
        visits = CrawlLogRepo(s).visits(datetime.fromtimestamp(first * EVERY_S, UTC))
        repeated = repeated_executions(s)
        ran = executions_of(s, requests)
    counts = per_interval(
        visits, [h.name for h in fleet], EVERY_S, range(first, last + 1)
    )
    report = "\n".join(c.line() for c in counts)
    assert violations(counts, excused={killed_in}) == [], report
    # the victim's share went missing at most where it died, and only its own
    assert len(counts[2].missed) < HOSTS // 2, report
    assert repeated == {}
    assert ran == dict.fromkeys(requests, 1)  # each approved request ran once
    # the dead daemon is still in the registry but ages out of the members
    assert {d.status for d in live} == {DaemonState.RUNNING}
    assert len(live) >= DAEMONS - 1
