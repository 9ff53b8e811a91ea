"""Lanes: a step stuck in one lane holds up only that lane, and shows as stalled.

The main lane runs on the fake clock as in test_daemon_loop; another lane's
step is a real thread held on an Event, released when the test is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from ssop.core.errors import ExitCode
from ssop.daemon.board import StatusBoard
from ssop.daemon.lanes import lanes_of
from ssop.daemon.loop import Daemon, Hooks
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.step import MAIN_LANE, Step, StepOutcome
from ssop.daemon.systemd_notify import SdNotify
from tests.fakes.notify import RecordingSender
from tests.unit.daemon.test_daemon_loop import DeadlineClock, Log

WAIT_S = 10.0  # bounds every wait on another thread; never reached when all is well


class Held:
    """A step that signals it started, then waits until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.runs = 0

    def __call__(self) -> StepOutcome:
        self.runs += 1
        self.started.set()
        assert self.release.wait(WAIT_S), "never released"
        self.finished.set()
        return StepOutcome(summary=f"held {self.runs}")


def make_daemon(
    steps: list[Step],
    clock: DeadlineClock,
    sender: RecordingSender,
    *,
    run_for: float,
    on_deadline: Callable[[], None] = lambda: None,
    hooks: Hooks | None = None,
) -> Daemon:
    daemon = Daemon(
        steps,
        clock,
        SdNotify(clock, 2_000_000, sender),
        board=StatusBoard("test:1:aa", clock.now(), clock, stall_after_s=25),
        metrics=MetricsRegistry(),
        hooks=hooks,
    )
    clock.deadline = clock.monotonic() + run_for

    def stop() -> None:
        daemon.request_stop()
        on_deadline()

    clock.on_deadline = stop
    return daemon


@pytest.fixture
def clock() -> DeadlineClock:
    return DeadlineClock()


def test_a_step_stuck_in_its_lane_never_holds_up_the_main_lane(
    clock: DeadlineClock,
) -> None:
    log, held, seen = Log(clock), Held(), []
    daemon: Daemon | None = None

    def crawl(n: int) -> None:
        if n == 0:  # the other lane is busy before the first crawl ends
            assert held.started.wait(WAIT_S)
        if n == 3 and daemon is not None:
            seen.append(daemon.board.snapshot().step("analyse"))

    steps = [
        Step("crawl", 10, log.step("crawl", action=crawl)),
        Step("analyse", 10, held, lane="analysis"),
    ]
    daemon = make_daemon(
        steps, clock, RecordingSender(), run_for=60, on_deadline=held.release.set
    )
    assert daemon.run() == ExitCode.OK
    assert log.times("crawl") == [0, 10, 20, 30, 40, 50]
    (analyse,) = seen
    assert analyse is not None and analyse.running_for_s == 30
    assert analyse.stalled and "analyse: stalled" in analyse.flags()
    after = daemon.board.snapshot().step("analyse")
    assert after is not None and (after.runs, after.stalled) == (1, False)
    assert after.running_since is None and after.last_summary == "held 1"


def test_a_reload_waits_for_the_other_lanes_then_restarts_them_with_new_steps(
    clock: DeadlineClock,
) -> None:
    log, held, new = Log(clock), Held(), Held()
    finished_at_reload: list[bool] = []
    daemon: Daemon | None = None

    def crawl(n: int) -> None:
        if n == 1 and daemon is not None:
            assert held.started.wait(WAIT_S)
            daemon.request_reload()
            held.release.set()

    def reload() -> list[Step]:
        finished_at_reload.append(held.finished.is_set())
        return [
            Step("crawl", 10, log.step("crawl")),
            Step("analyse", 10, new, lane="analysis"),
        ]

    steps = [
        Step("crawl", 10, log.step("crawl", action=crawl)),
        Step("analyse", 1000, held, lane="analysis"),
    ]
    daemon = make_daemon(
        steps,
        clock,
        RecordingSender(),
        run_for=40,
        on_deadline=new.release.set,
        hooks=Hooks(reload=reload),
    )
    assert daemon.run() == ExitCode.OK
    assert finished_at_reload == [True]
    assert log.times("crawl") == [0, 10, 20, 30]
    assert (held.runs, new.runs) == (1, 1)  # the new step, on a new lane thread


def test_only_the_main_lane_feeds_the_watchdog(clock: DeadlineClock) -> None:
    sender = RecordingSender()
    daemon = make_daemon([], clock, sender, run_for=60)
    other = threading.Thread(target=daemon.control.should_stop)
    other.start()
    other.join(WAIT_S)
    assert sender.count("WATCHDOG=1") == 0
    daemon.control.should_stop()
    assert sender.count("WATCHDOG=1") == 1


def test_steps_are_grouped_by_lane_main_first() -> None:
    def nothing() -> None:
        return None

    steps = [
        Step("analyse", 300, nothing, lane="analysis"),
        Step("crawl", 60, nothing),
        Step("heartbeat", 15, nothing, lane="heartbeat"),
    ]
    lanes = lanes_of(steps)
    assert list(lanes) == [MAIN_LANE, "analysis", "heartbeat"]
    assert [s.name for s in lanes[MAIN_LANE]] == ["crawl"]
    assert lanes_of([steps[0]])[MAIN_LANE] == []


def test_a_warm_stop_leaves_a_lane_behind_that_outlasts_the_stop_budget(
    clock: DeadlineClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """systemd kills a daemon whose warm stop outlasts TimeoutStopSec; an
    analysis left unfinished is redone (its notice was never acknowledged)."""
    monkeypatch.setattr("ssop.daemon.loop.STOP_WAIT_S", 0.05)
    log, held = Log(clock), Held()

    def crawl(n: int) -> None:
        if n == 0:
            assert held.started.wait(WAIT_S)

    steps = [
        Step("crawl", 10, log.step("crawl", action=crawl)),
        Step("analyse", 10, held, lane="analysis"),
    ]
    daemon = make_daemon(steps, clock, RecordingSender(), run_for=20)
    try:
        with caplog.at_level("WARNING", logger="ssop.daemon.lanes"):
            assert daemon.run() == ExitCode.OK
        assert not held.finished.is_set()
        assert caplog.messages == ["lane analysis: still busy after 0s, left behind"]
    finally:
        held.release.set()
