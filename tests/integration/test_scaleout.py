"""Three real daemons share 60 loopback hosts on MariaDB and Redis; one is
killed (SIGKILL) mid-interval. From the database, per interval: every host
crawled exactly once, except that the killed daemon's share may be missed in
the interval it died in; and no approval executed twice."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from ssop.core.config.loader import load_config
from ssop.core.crawl.rendezvous import interval_of, phase
from ssop.core.models import Execution
from ssop.core.ops.daemon_registry import DaemonState
from ssop.core.services import Services, build_services
from ssop.core.store.crawl_log_repo import CrawlLogRepo
from ssop.core.store.db import create_engine_for
from tests.support import services as support
from tests.support.approved import approve_noop
from tests.support.fleet import Host, register, running_fleet
from tests.support.processes import Process
from tests.support.scaleout_check import per_interval, repeated_executions, violations
from tests.support.scaleout_rig import daemon_env, start_daemons, stop_daemons

pytestmark = [
    pytest.mark.sshd,
    pytest.mark.mariadb,
    pytest.mark.redis,
    pytest.mark.slow,
    # one worker runs these one after another: each keeps the cores busy
    # with many SSH handshakes or several daemons (scripts/test: loadgroup)
    pytest.mark.xdist_group("fleet"),
]

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
    engine = create_engine_for(mariadb_url)
    support.clean_tables(engine)
    services = build_services(
        load_config(environ=env, system_config=Path("/nonexistent"))
    )
    services.store.seed()
    register(services, fleet)
    yield services
    services.close()
    support.clean_tables(engine)
    engine.dispose()


def executions_of(s: Session, requests: list[int]) -> dict[int, int]:
    rows = s.exec(
        select(Execution.request_id).where(col(Execution.request_id).in_(requests))
    )
    return dict(Counter(rid for rid in rows if rid is not None))


def now() -> datetime:
    return datetime.now(UTC)


def wait_for_phase(k: int, at_phase: float) -> None:
    """Sleep until interval ``k`` is ``at_phase`` through."""
    while interval_of(now(), EVERY_S) < k or (
        interval_of(now(), EVERY_S) == k and phase(now(), EVERY_S) < at_phase
    ):
        time.sleep(0.05)


def test_three_daemons_crawl_each_host_once_per_interval_and_survive_a_kill(
    svc: Services,
    env: dict[str, str],
    fleet: list[Host],
    tmp_path: Path,
    processes: list[Process],
) -> None:
    requests = approve_noop(svc, [h.name for h in fleet[:APPROVED]])
    daemons = start_daemons(DAEMONS, env, tmp_path, processes)
    first = interval_of(now(), EVERY_S) + 1
    killed_in = first + 2
    wait_for_phase(killed_in, 0.25)
    victim = daemons[0]
    victim.signal(signal.SIGKILL)
    victim.popen.wait()
    last = killed_in + AFTER_KILL
    wait_for_phase(last + 1, 0.1)
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
