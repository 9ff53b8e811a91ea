"""The real CrawlService over real SSH: 50 loopback hosts on four sshds, the
store on MariaDB, the queue on Redis; then the same fleet with two hung hosts,
a dead one, one whose host key changed and one that floods its output."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.config.loader import load_config
from ssop.core.errors import ExitCode
from ssop.core.models import ActionOutput, CrawlError
from ssop.core.models.action import ActionType
from ssop.core.services import Services, build_services
from ssop.core.store.db import create_engine_for
from ssop.core.transport.base import DEFAULT_OUTPUT_CAP
from tests.support import services as support
from tests.support.crawl import samples
from tests.support.fleet import FLEET_MODULE_MARKS, Host, register, running_fleet
from tests.support.processes import Process
from tests.support.sshd import Sshd, dead_host, hung_host
from tests.support.stragglers import end, gone_within, hang_script, new_token

pytestmark = FLEET_MODULE_MARKS

HOSTS = 50
# 50 handshakes at once share the cores with whatever test runs beside this
# one (three daemons crawling their own fleet, say): they all finish late
# together, so 2 s and then 6 s failed most healthy hosts under the suite,
# and a 5 s command timeout some
CONNECT_TIMEOUT, COMMAND_TIMEOUT = 20.0, 15.0
FLOOD = ActionSpec(
    "flood",
    "prints 10 MiB",
    ActionType.COMMAND_GET,
    RiskLevel.LOW,
    20.0,
    command_template=("head", "-c", "10485760", "/dev/zero"),
)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Host]]:
    with running_fleet(tmp_path_factory.mktemp("fleet"), HOSTS) as hosts:
        yield hosts


@pytest.fixture
def fleet_env(
    mariadb_url: str, redis_db: int, isolated_env: dict[str, str]
) -> dict[str, str]:
    """The environment of this fleet's store, queue and master key."""
    return dict(
        isolated_env,
        SSOP_DATABASE_URL=mariadb_url,
        SSOP_REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        SSOP_SECRET_KEY=Fernet.generate_key().decode(),
    )


@pytest.fixture
def svc(mariadb_url: str, fleet_env: dict[str, str]) -> Iterator[Services]:
    engine = create_engine_for(mariadb_url)
    support.clean_tables(engine)
    environ = fleet_env
    config = load_config(
        environ=environ,
        system_config=Path("/nonexistent"),
        overrides={
            "ssh.connect_timeout": CONNECT_TIMEOUT,
            "ssh.command_timeout": COMMAND_TIMEOUT,
            "daemon.concurrency": 64,
        },
    )
    services = build_services(config)
    services.store.seed()
    yield services
    services.close()
    support.clean_tables(engine)
    engine.dispose()


def test_fifty_hosts_are_crawled_stored_cached_and_queued(
    svc: Services, fleet: list[Host]
) -> None:
    register(svc, fleet)
    first = svc.crawler.crawl_fleet()
    assert first.failed == 0 and len(first.hosts) == HOSTS, first.hosts
    second = svc.crawler.crawl_fleet()
    assert second.failed == 0 and second.stored == HOSTS
    rows = samples(svc)
    assert len(rows) == 2 * HOSTS
    assert {r.server_name for r in rows} == {h.name for h in fleet}
    assert all(r.memory_percent and r.load1 is not None for r in rows)
    assert all(r.cpu_percent is not None for r in rows)
    assert len(svc.pool) == HOSTS  # one kept-open connection each
    assert len(svc.queue.cache.all()) == HOSTS
    assert svc.queue.work_queue.pending_count() == 2 * HOSTS
    assert svc.queue.kind == "redis" and not svc.queue.degraded


def test_hung_dead_rekeyed_and_flooding_hosts_cost_only_their_own_timeouts(
    svc: Services, fleet: list[Host]
) -> None:
    flooder, *healthy = fleet
    register(svc, healthy)
    register(svc, [flooder], custom=[FLOOD])
    sshd: Sshd = fleet[0].sshd
    register(svc, [Host("rekeyed", sshd.host, sshd)], pinned=sshd.other_host_key)
    with hung_host() as hung1, hung_host() as hung2:
        dead = dead_host()
        for name, (host, port) in (("hung1", hung1), ("hung2", hung2), ("dead", dead)):
            register(svc, [Host(name, host, sshd)], port=port)
        started = time.monotonic()
        report = svc.crawler.crawl_fleet()
        took = time.monotonic() - started
    # everything runs in parallel: the slowest failure bounds the crawl
    assert took < CONNECT_TIMEOUT + COMMAND_TIMEOUT + 10
    assert report.succeeded == HOSTS and report.failed == 4
    with svc.sessions() as s:
        errors = {e.server_name: e.cause for e in s.exec(select(CrawlError))}
        (flood,) = s.exec(select(ActionOutput))
    assert errors == {
        "hung1": "timeout",
        "hung2": "timeout",
        "dead": "refused",
        "rekeyed": "host_key",
    }
    assert len(samples(svc)) == HOSTS
    # cut off at the cap: ended on the host, no exit status of its own
    assert flood.server_name == flooder.name and flood.exit_code is None
    assert flood.truncated and len(flood.stdout) == DEFAULT_OUTPUT_CAP


def test_a_timed_out_get_action_and_a_failing_df_are_crawl_errors(
    svc: Services, fleet: list[Host], tmp_path: Path
) -> None:
    token = new_token()
    slow = ActionSpec(
        "slow",
        "prints, then hangs",
        ActionType.COMMAND_GET,
        RiskLevel.LOW,
        2.0,
        command_template=(str(hang_script(tmp_path, token, say="partial")),),
    )
    waiter, broken_df = fleet[0], fleet[-1]
    assert waiter.sshd is not broken_df.sshd
    register(svc, [waiter], custom=[slow])
    register(svc, [broken_df])
    broken_df.sshd.shims.write_shim("df", exit_code=1, stderr="df: stale\n")
    try:
        report = svc.crawler.crawl_fleet()
        assert gone_within(token, seconds=2.0)
    finally:
        broken_df.sshd.shims.reset()
        end(token)
    assert {h.server: h.cause for h in report.hosts} == {
        waiter.name: "timeout",
        broken_df.name: "df_failed",
    }
    with svc.sessions() as s:
        errors = {e.server_name: e.message for e in s.exec(select(CrawlError))}
        (output,) = s.exec(select(ActionOutput))
    assert "did not finish within 2s and was stopped there" in errors[waiter.name]
    assert "df failed (exit 1)" in errors[broken_df.name]
    assert (output.stdout, output.exit_code) == ("partial\n", None)
    # the readings of both still count
    assert {r.server_name for r in samples(svc)} == {waiter.name, broken_df.name}


def daemon_once(env: dict[str, str], tmp_path: Path) -> tuple[int, str, float]:
    """``ssop daemon --once`` as a separate process, as systemd would start it."""
    env = dict(
        env,
        SSOP_SSH__CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        SSOP_SSH__COMMAND_TIMEOUT=str(COMMAND_TIMEOUT),
        SSOP_DAEMON__CONCURRENCY="64",
        SSOP_CONFIG=support.empty_config_file(tmp_path),
    )
    started = time.monotonic()
    proc = Process(["-m", "ssop", "daemon", "--once"], env, tmp_path / "daemon.log")
    code, err = proc.finish(timeout=120)
    return code, err, time.monotonic() - started


def test_daemon_once_stores_readings_for_fifty_hosts(
    svc: Services, fleet: list[Host], fleet_env: dict[str, str], tmp_path: Path
) -> None:
    register(svc, fleet)
    code, err, _ = daemon_once(fleet_env, tmp_path)
    assert code == ExitCode.OK, err
    rows = samples(svc)
    assert {r.server_name for r in rows} == {h.name for h in fleet}
    assert all(r.memory_percent and r.load1 is not None for r in rows)


def test_daemon_once_with_two_hung_and_one_dead_host_records_their_causes(
    svc: Services, fleet: list[Host], fleet_env: dict[str, str], tmp_path: Path
) -> None:
    healthy = fleet[:47]
    register(svc, healthy)
    sshd: Sshd = fleet[0].sshd
    with hung_host() as hung1, hung_host() as hung2:
        dead = dead_host()
        for name, (host, port) in (("hung1", hung1), ("hung2", hung2), ("dead", dead)):
            register(svc, [Host(name, host, sshd)], port=port)
        code, err, took = daemon_once(fleet_env, tmp_path)
    assert code == ExitCode.OK, err
    # start-up of a fresh process plus the slowest failure, not the sum of them
    assert took < CONNECT_TIMEOUT + COMMAND_TIMEOUT + 30
    with svc.sessions() as s:
        errors = {e.server_name: e.cause for e in s.exec(select(CrawlError))}
    assert errors == {"hung1": "timeout", "hung2": "timeout", "dead": "refused"}
    assert {r.server_name for r in samples(svc)} == {h.name for h in healthy}
