"""CrawlService on an embedded SQLite store with fake transports and a fake clock:
what it stores, publishes, reports and keeps between crawls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlmodel import select

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.config.loader import load_config
from ssop.core.crawl.buffer import HostRecord
from ssop.core.crawl.host_visit import FIRST_READINGS, READINGS
from ssop.core.crawl.report import CrawlInterrupted
from ssop.core.crawl.service import CrawlService
from ssop.core.errors import (
    CommandTimeout,
    NotFound,
    PermissionDenied,
    StoreError,
    StoreUnreachable,
    TransportError,
)
from ssop.core.models import CrawlError
from ssop.core.services import Services, build_services
from ssop.core.store.metric_repo import MetricRepo
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import Command, CommandResult
from tests.fakes.clock import FakeClock
from tests.fakes.fake_transport import FakeTransport
from tests.support import auth
from tests.support import services as support
from tests.support.crawl import (
    SAMPLE_B,
    FakeFleet,
    add_server,
    readings_fake,
    samples,
    with_cpu,
)
from tests.support.stragglers import ctrl_c_after


@pytest.fixture
def fleet() -> FakeFleet:
    return FakeFleet()


@pytest.fixture
def svc(
    tmp_path: Path,
    sqlite_template: Path,
    clock: FakeClock,
    fleet: FakeFleet,
    isolated_env: dict[str, str],
) -> Iterator[Services]:
    url = support.sqlite_copy(sqlite_template, tmp_path)
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=url),
        system_config=Path("/nonexistent"),
        overrides={"daemon.concurrency": 4, "daemon.memory_buffer": 100},
    )
    services = build_services(config, clock=clock, transport_factory=fleet.build)
    services.store.seed()
    yield services
    services.close()


@pytest.fixture
def admin(svc: Services) -> Principal:
    return auth.admin(svc)


def two_hosts(svc: Services, fleet: FakeFleet) -> None:
    for name in ("web1", "web2"):
        add_server(svc, name)
        fleet.add(name, readings_fake(name))


def test_a_crawl_stores_one_sample_per_server_and_reports_it(
    svc: Services, fleet: FakeFleet, admin: Principal, clock: FakeClock
) -> None:
    two_hosts(svc, fleet)
    report = svc.crawler.crawl(admin)
    assert [h.server for h in report.hosts] == ["web1", "web2"]
    assert report.failed == 0 and report.stored == 2 and not report.degraded
    rows = samples(svc)
    assert sorted(r.server_name for r in rows) == ["web1", "web2"]
    assert all(r.at == clock.now() and r.cpu_percent == 44.4 for r in rows)
    assert rows[0].failed_units == ["logrotate.service", "php8.2-fpm.service"]
    assert report.readings["web1"]["memory_percent"] == 25.0


def test_each_stored_sample_is_cached_queued_and_announced(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    subscription = svc.queue.events.subscribe()
    two_hosts(svc, fleet)
    svc.crawler.crawl(admin)
    ids = {r.server_name: r.id for r in samples(svc)}
    cached = svc.queue.cache.get("web1")
    assert cached is not None and cached["sample_id"] == ids["web1"]
    assert cached["cpu_percent"] == 44.4
    notices = {d.notice.server: d.notice for d in svc.queue.work_queue.claim("t", 10)}
    assert notices["web2"].sample_id == ids["web2"] and notices["web2"].ok
    assert len(notices["web2"].digest) == 32
    events = [subscription.get(0.1) for _ in range(2)]
    assert {(e.kind, e.server) for e in events if e} == {
        ("crawl.done", "web1"),
        ("crawl.done", "web2"),
    }


def test_the_second_crawl_reuses_connections_and_the_previous_counters(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    add_server(svc, "web1")
    later = with_cpu(SAMPLE_B, 2050, 8700)  # b + 100 busy + 100 idle jiffies
    fake = fleet.add("web1", readings_fake("web1", later))
    svc.crawler.crawl(admin)
    svc.crawler.crawl(admin)
    assert fake.argvs == [FIRST_READINGS.argv, READINGS.argv]
    assert fleet.built == ["web1"]
    assert [r.cpu_percent for r in samples(svc)] == [44.4, 50.0]


def test_failures_are_stored_with_their_cause_and_the_rest_still_crawled(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    two_hosts(svc, fleet)
    add_server(svc, "dead")
    fleet.add(
        "dead",
        FakeTransport(
            {
                FIRST_READINGS.argv: TransportError(
                    "server dead: connection refused by 127.0.0.1:1"
                )
            }
        ),
    )
    report = svc.crawler.crawl(admin)
    assert report.failed == 1 and report.succeeded == 2
    with svc.sessions() as s:
        errors = list(s.exec(select(CrawlError)))
    assert [(e.server_name, e.cause) for e in errors] == [("dead", "refused")]
    notices = {d.notice.server: d.notice for d in svc.queue.work_queue.claim("t", 10)}
    assert not notices["dead"].ok and notices["dead"].sample_id is None
    assert svc.queue.cache.get("dead") is None


def test_a_hung_host_does_not_hold_back_the_others(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    release = threading.Event()

    def hangs(_cmd: Command) -> CommandResult:
        if not release.wait(10):  # a safety net only: the test releases it
            raise CommandTimeout("server hung: never released")
        raise CommandTimeout("server hung: did not finish within 30s")

    add_server(svc, "hung")
    fleet.add("hung", FakeTransport({FIRST_READINGS.argv: hangs}))
    two_hosts(svc, fleet)
    finished: list[int] = []

    def progress(done: int, total: int) -> None:
        finished.append(done)
        if done == 2:  # both healthy hosts are in while "hung" still hangs
            release.set()

    report = svc.crawler.crawl(admin, progress=progress)
    assert finished == [0, 1, 2, 3]
    assert {h.server: h.cause for h in report.hosts} == {
        "hung": "timeout",
        "web1": None,
        "web2": None,
    }


def test_ctrl_c_keeps_what_finished_and_hangs_up_on_the_rest(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    hung = FakeTransport(name="hung")

    def hangs(_cmd: Command) -> CommandResult:
        deadline = time.monotonic() + 10  # a safety net: the crawl hangs up
        while not hung.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        raise TransportError("server hung: connection lost while running sh")

    hung.script[FIRST_READINGS.argv] = hangs
    add_server(svc, "hung")
    fleet.add("hung", hung)
    two_hosts(svc, fleet)
    started = time.monotonic()
    with ctrl_c_after(0.5), pytest.raises(CrawlInterrupted) as caught:
        svc.crawler.crawl(admin)
    report = caught.value.report
    assert time.monotonic() - started < 3
    assert report.interrupted and report.not_crawled == ("hung",)
    assert sorted(h.server for h in report.hosts) == ["web1", "web2"]
    assert "interrupted, 1 not crawled" in report.summary()
    assert hung.closed == 1  # hung up on, not waited for
    assert sorted(r.server_name for r in samples(svc)) == ["web1", "web2"]
    with svc.sessions() as s:
        assert s.exec(select(CrawlError)).all() == []  # "hung" did not fail


def test_names_and_tags_choose_servers_and_unknown_names_are_refused(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    two_hosts(svc, fleet)
    assert [h.server for h in svc.crawler.crawl(admin, ["web2"]).hosts] == ["web2"]
    with pytest.raises(NotFound, match="nosuch"):
        svc.crawler.crawl(admin, ["web1", "nosuch"])
    assert svc.crawler.crawl(admin, tag="prod").hosts == ()


def test_servers_without_get_actions_are_skipped_not_failed(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    two_hosts(svc, fleet)
    add_server(svc, "bare", builtin=False)
    report = svc.crawler.crawl(admin)
    assert report.skipped == ("bare",) and report.failed == 0
    assert "bare" not in fleet.built


def test_disabled_servers_are_crawled_only_when_named(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    add_server(svc, "off", enabled=False)
    fleet.add("off", readings_fake("off"))
    assert svc.crawler.crawl(admin).hosts == ()
    assert [h.server for h in svc.crawler.crawl(admin, ["off"]).hosts] == ["off"]


def test_crawling_on_demand_needs_actions_run(
    svc: Services, fleet: FakeFleet, admin: Principal
) -> None:
    two_hosts(svc, fleet)
    auth.add_user(svc, "vera", Role.VIEWER, "vera-pw")
    vera = auth.login(svc, "vera", "vera-pw")
    with pytest.raises(PermissionDenied, match="lacks actions.run"):
        svc.crawler.crawl(vera)
    assert samples(svc) == []
    svc.roles.grant(admin, "viewer", "actions.run")
    assert svc.crawler.crawl(vera).failed == 0
    assert len(samples(svc)) == 2


def test_crawl_fleet_stops_starting_servers_once_asked(
    svc: Services, fleet: FakeFleet, clock: FakeClock
) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5", "a6"):
        add_server(svc, name)
        fleet.add(name, readings_fake(name))
    settings = svc.config.settings.model_copy(deep=True)
    settings.daemon.concurrency = 1
    crawler = CrawlService(
        engine=svc.engine,
        sessions=svc.sessions,
        clock=clock,
        auth=svc.auth,
        pool=svc.pool,
        queue=svc.queue,
        settings=settings,
    )
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return True

    report = crawler.crawl_fleet(stop)
    assert report.stopped and asked and 1 <= len(report.hosts) < 6
    assert len(samples(svc)) == len(report.hosts)


class FlakyStore:
    """The real store behind a switch: refuses every write while ``down``."""

    def __init__(self, crawler: CrawlService) -> None:
        self.crawler = crawler
        self.down = False

    def write(self, records: Sequence[HostRecord]) -> list[int | None]:
        if self.down:
            raise StoreUnreachable("cannot reach the database at db:3306 (gone)")
        return self.crawler.write(records)


def test_readings_wait_in_memory_through_a_store_outage_and_are_written_after(
    svc: Services, fleet: FakeFleet
) -> None:
    two_hosts(svc, fleet)
    crawler = svc.crawler
    store = FlakyStore(crawler)
    crawler.writer = store.write
    crawler.crawl_fleet()
    store.down = True
    outage = [crawler.crawl_fleet(), crawler.crawl_fleet()]
    assert [r.pending for r in outage] == [2, 4]
    assert all(r.degraded and r.failed == 0 for r in outage)
    assert "db:3306" in (outage[0].store_error or "")
    assert len(samples(svc)) == 2
    store.down = False
    back = crawler.crawl_fleet()
    assert back.pending == 0 and back.stored == 6 and not back.degraded
    rows = samples(svc)
    assert len(rows) == 8 and len({r.id for r in rows}) == 8
    queued = svc.queue.work_queue.claim("t", 100)
    assert len(queued) == 8  # every stored sample announced exactly once


def test_the_fleet_is_remembered_when_the_store_cannot_be_read(
    svc: Services, fleet: FakeFleet, tmp_path: Path
) -> None:
    two_hosts(svc, fleet)
    crawler = svc.crawler
    crawler.crawl_fleet()
    store = FlakyStore(crawler)
    crawler.writer = store.write
    store.down = True
    (tmp_path / "ssop.db").rename(tmp_path / "elsewhere.db")
    svc.engine.dispose()  # the file is gone: every new connection finds no tables
    report = crawler.crawl_fleet()
    assert [h.server for h in report.hosts] == ["web1", "web2"]
    assert report.pending == 2


def test_the_first_fleet_crawl_without_a_store_says_so(
    svc: Services, tmp_path: Path
) -> None:
    (tmp_path / "ssop.db").rename(tmp_path / "elsewhere.db")
    svc.engine.dispose()
    with pytest.raises(StoreError, match="no store at"):
        svc.crawler.crawl_fleet()


def test_a_wall_clock_jumping_back_neither_breaks_cpu_nor_hides_the_newest_sample(
    svc: Services, fleet: FakeFleet, admin: Principal, clock: FakeClock
) -> None:
    add_server(svc, "web1")
    fleet.add("web1", readings_fake("web1", with_cpu(SAMPLE_B, 2050, 8700)))
    svc.crawler.crawl(admin)
    clock.jump_wall(-86400)
    svc.crawler.crawl(admin)
    first, second = samples(svc)
    assert second.at < first.at and second.cpu_percent == 50.0
    with svc.sessions() as s:
        latest = MetricRepo(s).latest()
    assert [x.id for x in latest] == [second.id]


def test_servers_removed_from_the_store_lose_their_connection_disabled_keep_it(
    svc: Services, fleet: FakeFleet
) -> None:
    two_hosts(svc, fleet)
    svc.crawler.crawl_fleet()
    assert len(svc.pool) == 2
    with svc.sessions() as s, s.begin():
        web1 = ServerRepo(s).get("web1")
        web1.enabled = False
        s.add(web1)
        ServerRepo(s).remove(ServerRepo(s).get("web2"))
    report = svc.crawler.crawl_fleet()
    assert report.hosts == ()
    assert fleet.transports["web2"].closed == 1
    assert fleet.transports["web1"].closed == 0 and len(svc.pool) == 1


def test_failed_logins_are_read_only_where_get_auth_failures_is_assigned(
    svc: Services,
) -> None:
    from ssop.core.crawl.targets import load_targets
    from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
    from ssop.core.store.fleet_repo import FleetRepo

    add_server(svc, "plain")
    add_server(svc, "watched")
    with svc.sessions() as s, s.begin():
        assert "get_auth_failures" not in {
            a.name for a in FleetRepo(s).builtin_get_actions()
        }
        server = ServerRepo(s).get("watched")
        action = ActionRepo(s).get("get_auth_failures")
        AssignmentRepo(s).assign(server, action, False)
    with svc.sessions() as s:
        targets, _ = load_targets(s)
    assert {t.name: (t.readings, t.auth) for t in targets} == {
        "plain": (True, False),
        "watched": (True, True),
    }
