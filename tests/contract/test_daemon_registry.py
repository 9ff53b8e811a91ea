"""The daemon registry keeps heartbeat rows the same way on SQLite and MariaDB."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from ssop.core.config.schema import AppSection
from ssop.core.ops.daemon_registry import (
    DaemonRegistry,
    DaemonState,
    new_daemon_id,
    stale_after_s,
)
from ssop.core.store import migrate
from ssop.core.store.db import session_factory
from tests.fakes.clock import FakeClock


@pytest.fixture
def registry(store_engine: Engine, clock: FakeClock) -> DaemonRegistry:
    return DaemonRegistry(store_engine, session_factory(store_engine), clock)


def test_migration_0002_creates_the_daemons_table(store_engine: Engine) -> None:
    assert migrate.current(store_engine) == migrate.head()
    columns = {c["name"] for c in inspect(store_engine).get_columns("daemons")}
    assert columns == {
        "id",
        "hostname",
        "pid",
        "started_at",
        "last_seen_at",
        "last_crawl_at",
        "last_analysis_at",
        "status",
        "errors",
        "info",
    }


def test_new_ids_name_host_and_pid_and_never_repeat() -> None:
    first = new_daemon_id("web1", 42)
    assert first.startswith("web1:42:")
    assert first != new_daemon_id("web1", 42)


def test_register_then_beat_then_stop(
    registry: DaemonRegistry, clock: FakeClock
) -> None:
    started = clock.now()
    registry.register("web1:42:aa", info={"version": "1"})
    clock.advance(15)
    crawl_at = clock.now()
    registry.beat("web1:42:aa", errors=2, last_crawl_at=crawl_at, info={"steps": 3})
    (info,) = registry.list()
    assert (info.hostname, info.pid, info.status) == ("web1", 42, DaemonState.RUNNING)
    assert info.started_at == started
    assert info.last_seen_at == crawl_at and info.last_crawl_at == crawl_at
    assert info.last_analysis_at is None
    assert (info.errors, dict(info.info)) == (2, {"steps": 3})
    clock.advance(5)
    registry.stop("web1:42:aa")
    (stopped,) = registry.list()
    assert stopped.status is DaemonState.STOPPED
    assert stopped.last_seen_at == clock.now()


def test_beat_writes_a_deleted_row_again(
    registry: DaemonRegistry, clock: FakeClock
) -> None:
    registry.beat("web2:7:bb", errors=0)
    (info,) = registry.list()
    assert (info.id, info.hostname, info.pid) == ("web2:7:bb", "web2", 7)
    assert info.status is DaemonState.RUNNING


def test_register_marks_silent_daemons_of_the_same_host_lost(
    registry: DaemonRegistry, clock: FakeClock
) -> None:
    registry.register("web1:1:aa")
    registry.register("web2:1:aa")
    clock.advance(200)
    registry.register("web1:2:bb", lost_after_s=180)
    states = {d.id: d.status for d in registry.list()}
    assert states == {
        "web1:1:aa": DaemonState.LOST,
        "web1:2:bb": DaemonState.RUNNING,
        "web2:1:aa": DaemonState.RUNNING,
    }


def test_staleness_uses_three_crawl_periods_but_at_least_three_heartbeats(
    registry: DaemonRegistry, clock: FakeClock
) -> None:
    assert stale_after_s(AppSection(crawler_delay=60)) == 180
    assert stale_after_s(AppSection(crawler_delay=1)) == 30
    registry.register("web1:1:aa")
    clock.advance(181)
    (info,) = registry.list()
    assert info.is_stale(clock.now(), 180)
    assert not info.is_stale(clock.now() - timedelta(seconds=2), 180)
    registry.stop("web1:1:aa")
    clock.advance(1000)
    (stopped,) = registry.list()
    assert not stopped.is_stale(clock.now(), 180)


def test_prune_forgets_daemons_not_seen_for_the_retention_period(
    registry: DaemonRegistry, clock: FakeClock
) -> None:
    registry.register("old:1:aa")
    registry.stop("old:1:aa")
    registry.register("silent:1:aa")
    clock.advance(40 * 86400)
    registry.register("silent:2:bb", lost_after_s=180)  # marks silent:1 lost
    registry.register("new:1:aa")
    registry.stop("new:1:aa")
    assert registry.prune(30) == 2
    assert {d.id for d in registry.list()} == {"silent:2:bb", "new:1:aa"}
    clock.advance(31 * 86400)
    registry.beat("silent:2:bb", errors=0)
    registry.beat("crashed:1:aa", errors=0)
    clock.advance(31 * 86400)
    registry.beat("silent:2:bb", errors=0)
    assert registry.prune(30) == 2
    assert [d.id for d in registry.list()] == ["silent:2:bb"]
