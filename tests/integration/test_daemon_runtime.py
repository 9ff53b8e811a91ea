"""The daemon's steps and runtime wired to real services on each dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.errors import ConfigError
from ssop.core.ops.daemon_registry import DaemonState
from ssop.core.services import Services, build_services
from ssop.daemon.board import StatusBoard, StepRun
from ssop.daemon.loop import StopControl
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.runtime import DaemonRuntime
from ssop.daemon.step import Step, StepOutcome
from ssop.daemon.steps import PRUNE_INTERVAL_S, build_steps
from tests.fakes.clock import FakeClock


@dataclass
class FakeCrawler:
    """Stands in for the crawl service: reads the stop flag between servers."""

    calls: int = 0

    @dataclass(frozen=True)
    class Report:
        crawled: int
        failed: int
        readings: dict[str, dict[str, float]]
        degraded: bool = False

        def summary(self) -> str:
            return f"crawled {self.crawled} servers, {self.failed} failed"

    def crawl_fleet(self, should_stop: Callable[[], bool]) -> Report:
        self.calls += 1
        readings: dict[str, dict[str, float]] = {}
        for n in range(3):
            if should_stop():
                break
            readings[f"web{n}"] = {"load1": float(n)}
        return self.Report(len(readings), failed=1, readings=readings)


@pytest.fixture
def board(services: Services, clock: FakeClock) -> StatusBoard:
    return StatusBoard("web1:42:aa", clock.now(), clock)


def steps_of(
    services: Services,
    board: StatusBoard,
    metrics: MetricsRegistry | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> dict[str, Step]:
    built = build_steps(
        services,
        board=board,
        metrics=metrics or MetricsRegistry(),
        should_stop=should_stop,
    )
    return {s.name: s for s in built}


def run(
    services: Services, board: StatusBoard, clock: FakeClock, name: str
) -> StepOutcome:
    step = steps_of(services, board)[name]
    outcome = step.fn() or StepOutcome()
    at = clock.now()
    board.add_step(name, step.interval_s)
    board.record(
        name,
        StepRun(at, at, 0.0, summary=outcome.summary, degraded=outcome.degraded),
    )
    return outcome


def test_steps_follow_the_settings_and_end_with_the_heartbeat(
    services: Services, board: StatusBoard
) -> None:
    steps = list(steps_of(services, board).values())
    app = services.config.settings.app
    assert [(s.name, s.interval_s) for s in steps] == [
        ("crawl", app.crawler_delay),
        ("analyse", app.model_delay),
        ("remediate", app.crawler_delay),
        ("execute_approved", 10.0),
        ("verify", app.crawler_delay),
        ("reconcile", 60.0),
        ("expire", 60.0),
        ("prune", PRUNE_INTERVAL_S),
        ("heartbeat", 10.0),
    ]
    assert steps[1].fn() == StepOutcome(
        summary="0 analysed, 0 reused, 0 failed (0 notices)"
    )
    assert [s.name for s in steps if s.at] == ["prune"]
    assert steps[-2].at == services.config.settings.retention.prune_at == "03:30"


def test_the_crawl_hook_calls_the_service_with_the_stop_flag(
    services: Services, board: StatusBoard
) -> None:
    crawler = FakeCrawler()
    services.crawler = crawler  # type: ignore[assignment]
    control = StopControl()
    metrics = MetricsRegistry()
    crawl = steps_of(services, board, metrics, control.should_stop)["crawl"]
    assert crawl.fn() == StepOutcome(summary="crawled 3 servers, 1 failed", failed=1)
    reading = metrics.registry.get_sample_value
    assert reading("ssop_host_reading", {"server": "web2", "reading": "load1"}) == 2.0
    control.request()
    assert crawl.fn() == StepOutcome(summary="crawled 0 servers, 1 failed", failed=1)
    assert crawler.calls == 2


def test_the_heartbeat_writes_errors_and_the_last_real_crawl(
    services: Services, board: StatusBoard, clock: FakeClock
) -> None:
    services.daemons.register("web1:42:aa")
    board.add_step("crawl", 60)  # no crawl has run yet
    clock.advance(15)
    run(services, board, clock, "heartbeat")
    (row,) = services.daemons.list()
    assert (row.last_seen_at, row.last_crawl_at, row.errors) == (clock.now(), None, 0)

    services.crawler = FakeCrawler()  # type: ignore[assignment]
    board.add_step("analyse", 300)
    board.record("analyse", StepRun(clock.now(), clock.now(), 0.0, error="llm down"))
    clock.advance(15)
    crawled_at = clock.now()
    run(services, board, clock, "crawl")
    run(services, board, clock, "heartbeat")
    (row,) = services.daemons.list()
    assert (row.last_crawl_at, row.last_analysis_at, row.errors) == (
        crawled_at,
        None,
        1,
    )
    assert row.info["degraded"] == ["analyse: failing"]


def test_the_prune_step_reports_what_it_deleted(
    services: Services, board: StatusBoard, clock: FakeClock
) -> None:
    outcome = run(services, board, clock, "prune")
    assert outcome.summary == "pruned 0 row(s) older than 30d"


@dataclass
class Harness:
    runtime: DaemonRuntime
    config_file: Path
    environ: dict[str, str]


@pytest.fixture
def harness(
    loaded_config: LoadedConfig, isolated_env: dict[str, str], tmp_path: Path
) -> Iterator[Harness]:
    config_file = tmp_path / "ssop.toml"
    config_file.touch()  # a named config file must exist
    environ = dict(
        isolated_env,
        SSOP_DATABASE_URL=loaded_config.database_url(),
        SSOP_CONFIG=str(config_file),
    )

    def load() -> LoadedConfig:
        return load_config(environ=environ, system_config=Path("/nonexistent"))

    h = Harness(DaemonRuntime(load(), load, once=True), config_file, environ)
    yield h
    h.runtime.teardown()


def test_reload_rebuilds_steps_from_the_new_file(harness: Harness) -> None:
    rt = harness.runtime
    old_services = rt.services
    harness.config_file.write_text("[app]\ncrawler_delay = 7\nmodel_delay = 11\n")
    steps = rt.reload()
    assert {s.name: s.interval_s for s in steps}["crawl"] == 7
    assert {s.name: s.interval_s for s in steps}["analyse"] == 11
    assert rt.services is not old_services


def test_reload_refuses_a_bad_file_or_another_database(
    harness: Harness, tmp_path: Path
) -> None:
    rt = harness.runtime
    before = rt.services
    harness.config_file.write_text("[app]\ncrawler_delay = 0\n")
    with pytest.raises(ConfigError, match="crawler_delay"):
        rt.reload()
    harness.config_file.write_text("")
    harness.environ["SSOP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'other.db'}"
    with pytest.raises(ConfigError, match="a reload cannot switch stores"):
        rt.reload()
    assert rt.services is before


def test_bootstrap_registers_and_teardown_marks_stopped(harness: Harness) -> None:
    rt = harness.runtime
    rt.bootstrap()
    observer = build_services(rt.services.config)
    try:
        ((daemon_id, status),) = [(d.id, d.status) for d in observer.daemons.list()]
        assert (daemon_id, status) == (rt.daemon_id, DaemonState.RUNNING)
        rt.teardown()
        (stopped,) = observer.daemons.list()
        assert stopped.status is DaemonState.STOPPED
        assert stopped.last_seen_at - stopped.started_at < timedelta(minutes=1)
    finally:
        observer.close()


def test_a_failed_step_sends_a_daemon_error_event(services: Services) -> None:
    from ssop.core.notify.events import EventKind, Notification
    from ssop.daemon.runtime import DaemonRuntime

    sent: list[Notification] = []

    class Recorder:
        def notify(self, event: Notification) -> None:
            sent.append(event)

    runtime = DaemonRuntime(services.config, lambda: services.config)
    runtime.services.__dict__["notifier"] = Recorder()
    runtime.step_failed("crawl", "store unreachable")
    runtime.services.close()
    (event,) = sent
    assert event.kind is EventKind.DAEMON_ERROR
    assert (event.detail, event.actor) == ("store unreachable", runtime.daemon_id)


def test_the_heartbeat_step_also_beats_in_the_queue(
    services: Services, board: StatusBoard
) -> None:
    steps = steps_of(services, board)
    services.daemons.register(board.daemon_id, info={}, lost_after_s=60)
    steps["heartbeat"].fn()
    alive = services.queue.heartbeats.alive()
    assert board.daemon_id in alive and alive[board.daemon_id]["errors"] == 0
