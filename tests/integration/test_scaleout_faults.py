"""Real daemons sharing a loopback fleet through the faults of issue 17:
Redis restarted empty, MariaDB restarted, one daemon paused past its interval.

Each test runs three ``ssop daemon`` processes on a private redis-server (and,
for the MariaDB restart, a private mariadbd), and checks from the database,
interval by interval: no host crawled twice, misses only in the interval
named in the test, later intervals complete, and every approved request
executed exactly once."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlmodel import col, select

from ssop.core.crawl.rendezvous import interval_start
from ssop.core.models import ApprovalRequest
from ssop.core.ops.daemon_registry import DaemonInfo
from ssop.core.services import Services
from ssop.core.store.crawl_log_repo import CrawlLogRepo
from tests.support.approved import approve_noop
from tests.support.fleet import FLEET_MODULE_MARKS, Host, register, running_fleet
from tests.support.private_mariadb import PrivateMariaDB, running_with_store
from tests.support.processes import Process, wait_until
from tests.support.redis_server import PrivateRedis
from tests.support.scaleout_check import (
    IntervalCount,
    Visit,
    executions_of,
    per_interval,
    repeated_executions,
    violations,
)
from tests.support.scaleout_rig import (
    crawl_claims,
    current_interval,
    daemon_env,
    fleet_store,
    now,
    services_for,
    start_daemons,
    stop_daemons,
    wait_for_phase,
)

pytestmark = FLEET_MODULE_MARKS

HOSTS, DAEMONS, EVERY_S = 24, 3, 8
APPROVED = 8  # requests per batch that every daemon's execute_approved races for
AFTER = 2  # intervals checked after the fault, all of them complete
STORE_DOWN_S = 1.5 * EVERY_S  # under the 30 s in which a silent member drops out


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Host]]:
    with running_fleet(tmp_path_factory.mktemp("fleet"), HOSTS) as hosts:
        yield hosts


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(
    mariadb_url: str,
    redis_server: PrivateRedis,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> dict[str, str]:
    """The shared MariaDB and the private Redis."""
    return daemon_env(
        isolated_env,
        database_url=mariadb_url,
        redis_url=redis_server.url,
        folder=tmp_path,
        every_s=EVERY_S,
        concurrency=4,  # a share of 8 in two rounds: a pause can fall between
    )


@pytest.fixture
def svc(mariadb_url: str, env: dict[str, str], fleet: list[Host]) -> Iterator[Services]:
    with fleet_store(mariadb_url, env, fleet) as services:
        yield services


@pytest.fixture
def private_db(tmp_path: Path) -> Iterator[PrivateMariaDB]:
    with running_with_store(tmp_path / "mariadb") as server:
        yield server


@pytest.fixture
def outage_env(
    private_db: PrivateMariaDB,
    redis_server: PrivateRedis,
    isolated_env: dict[str, str],
    tmp_path: Path,
) -> dict[str, str]:
    """A private MariaDB (to stop and start) and the private Redis."""
    return daemon_env(
        isolated_env,
        database_url=private_db.server_url + "/ssop",
        redis_url=redis_server.url,
        folder=tmp_path,
        every_s=EVERY_S,
    )


@pytest.fixture
def outage_svc(outage_env: dict[str, str], fleet: list[Host]) -> Iterator[Services]:
    services = services_for(outage_env)
    services.store.upgrade()
    register(services, fleet)
    yield services
    services.close()


def names(fleet: list[Host]) -> list[str]:
    return [h.name for h in fleet]


def visits_from(svc: Services, first: int) -> set[Visit]:
    with svc.sessions() as s:
        return CrawlLogRepo(s).visits(interval_start(first, EVERY_S))


def counted(
    svc: Services, fleet: list[Host], first: int, last: int
) -> list[IntervalCount]:
    visits = visits_from(svc, first)
    return per_interval(visits, names(fleet), EVERY_S, range(first, last + 1))


def assert_each_ran_once(svc: Services, requests: list[int]) -> None:
    with svc.sessions() as s:
        assert repeated_executions(s) == {}
        assert executions_of(s, requests) == dict.fromkeys(requests, 1)


def started_any(svc: Services, requests: list[int]) -> bool:
    """Whether a daemon has claimed (or finished) any of ``requests``."""
    with svc.sessions() as s:
        rows = s.exec(
            select(ApprovalRequest.status).where(col(ApprovalRequest.id).in_(requests))
        )
        return any(status != "approved" for status in rows)


def registered(svc: Services, daemon: Process) -> DaemonInfo:
    """The daemon's registry row (its id is hostname:pid:...)."""
    rows = [d for d in svc.daemons.list() if d.pid == daemon.pid]
    assert len(rows) == 1, rows
    return rows[0]


def test_redis_restarted_empty_is_rebuilt_from_the_store_and_the_crawl_carries_on(
    svc: Services,
    env: dict[str, str],
    fleet: list[Host],
    redis_server: PrivateRedis,
    tmp_path: Path,
    processes: list[Process],
) -> None:
    requests = approve_noop(svc, names(fleet)[:APPROVED])
    daemons = start_daemons(DAEMONS, env, tmp_path, processes)
    first = current_interval(EVERY_S) + 1
    restarted_in = first + 1
    wait_for_phase(restarted_in, 0.0, EVERY_S)
    client = redis.Redis(port=redis_server.port)
    # restart it while the daemons crawl their own shares: the claims won so
    # far go, and those visits must not be repeated by the takeover stages
    wait_until(
        lambda: len(crawl_claims(client, restarted_in, names(fleet))) >= DAEMONS,
        EVERY_S,
        "the first claims of the interval",
    )
    client.close()
    redis_server.stop()
    redis_server.start()
    requests += approve_noop(svc, names(fleet)[APPROVED : 2 * APPROVED])
    last = restarted_in + AFTER
    wait_for_phase(last, 0.9, EVERY_S)

    client = redis.Redis(port=redis_server.port)
    holders = crawl_claims(client, last, names(fleet))
    marker = client.get("ssop:claims:marker")
    client.close()
    beating = set(svc.queue.heartbeats.alive())
    ids = {registered(svc, d).id for d in daemons}
    stop_daemons(daemons)

    counts = counted(svc, fleet, first, last)
    report = "\n".join(c.line() for c in counts)
    assert violations(counts, excused=set()) == [], report
    # the daemons talk to the new Redis: they beat and claim there
    assert beating == ids
    assert set(holders) == set(names(fleet)) and set(holders.values()) <= ids
    assert marker is not None
    assert_each_ran_once(svc, requests)


def test_mariadb_restart_loses_no_visit_and_runs_no_request_twice(
    outage_svc: Services,
    outage_env: dict[str, str],
    fleet: list[Host],
    private_db: PrivateMariaDB,
    tmp_path: Path,
    processes: list[Process],
) -> None:
    svc, env = outage_svc, outage_env
    requests = approve_noop(svc, names(fleet)[:APPROVED])
    daemons = start_daemons(DAEMONS, env, tmp_path, processes)
    first = current_interval(EVERY_S) + 1
    wait_for_phase(first + 1, 0.0, EVERY_S)
    late = approve_noop(svc, names(fleet)[APPROVED : 2 * APPROVED])
    # stop the store while the daemons claim and run the late requests
    wait_until(lambda: started_any(svc, late), 3 * EVERY_S, "a late request claimed")
    private_db.stop()
    down_from = now()
    time.sleep(STORE_DOWN_S)  # the outage itself: daemons run on the wall clock
    private_db.start()
    back_at = now()
    last = current_interval(EVERY_S) + AFTER
    wait_for_phase(last + 1, 0.1, EVERY_S)
    stop_daemons(daemons)

    counts = counted(svc, fleet, first, last)
    report = "\n".join(c.line() for c in counts)
    assert violations(counts, excused=set()) == [], report
    # every host was visited while the store was down, and those visits,
    # held in memory, are in the store now
    during = {name for name, at in visits_from(svc, first) if down_from <= at < back_at}
    assert during == set(names(fleet)), report
    assert_each_ran_once(svc, requests + late)


def test_a_daemon_paused_past_its_interval_drops_what_is_no_longer_its_own(
    svc: Services,
    env: dict[str, str],
    fleet: list[Host],
    redis_server: PrivateRedis,
    tmp_path: Path,
    processes: list[Process],
) -> None:
    requests = approve_noop(svc, names(fleet)[:APPROVED])
    daemons = start_daemons(DAEMONS, env, tmp_path, processes)
    victim = daemons[0]
    victim_id = registered(svc, victim).id
    first = current_interval(EVERY_S) + 1
    paused_in = first + 1
    wait_for_phase(paused_in, 0.0, EVERY_S)
    client = redis.Redis(port=redis_server.port)
    # pause it in the middle of its own share: some servers claimed, not all
    wait_until(
        lambda: victim_id in crawl_claims(client, paused_in, names(fleet)).values(),
        EVERY_S,
        "the victim's first claim",
    )
    victim.signal(signal.SIGSTOP)
    requests += approve_noop(svc, names(fleet)[APPROVED : 2 * APPROVED])
    wait_for_phase(paused_in + 1, 0.75, EVERY_S)  # its interval is long over
    victim.signal(signal.SIGCONT)
    wait_for_phase(paused_in + 1, 0.95, EVERY_S)
    after_resume = crawl_claims(client, paused_in + 1, names(fleet))
    client.close()
    last = paused_in + 1 + AFTER
    wait_for_phase(last + 1, 0.1, EVERY_S)
    victim_info = registered(svc, victim).info
    stop_daemons(daemons)

    counts = counted(svc, fleet, first, last)
    report = "\n".join(c.line() for c in counts)
    # a server it claimed and was visiting when paused may be missed there
    assert violations(counts, excused={paused_in}) == [], report
    assert len(counts[1].missed) < HOSTS // DAEMONS, report
    # the others took its share of the next interval while it slept: a visit
    # it made there anyway would have counted twice above
    assert set(after_resume) == set(names(fleet))
    assert victim_id not in after_resume.values()
    # on waking it dropped the rest of its old share instead of crawling it
    fenced = victim_info.get("fenced")
    assert isinstance(fenced, int) and fenced > 0, victim_info
    assert_each_ran_once(svc, requests)
