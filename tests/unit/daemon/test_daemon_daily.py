"""Daily steps at a time of day: the schedule library on an injected clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime

import schedule

from ssop.daemon.board import StatusBoard
from ssop.daemon.daily import DAY_S, DailyAt
from ssop.daemon.loop import Daemon, Hooks
from ssop.daemon.step import Step, StepOutcome
from ssop.daemon.systemd_notify import NoSystemd
from tests.fakes.clock import FakeClock

HOUR = 3600.0


def local(hour: int, minute: int = 0) -> datetime:
    """That time of day on the host's clock, as the aware UTC time a Clock gives."""
    return datetime(2026, 1, 15, hour, minute).astimezone().astimezone(UTC)


def test_due_at_the_configured_time_and_not_before() -> None:
    clock = FakeClock(local(3, 0))
    prune = DailyAt("03:30", clock)
    assert not prune.is_due(clock.monotonic())
    assert prune.wait_s(clock.monotonic()) == 30 * 60
    clock.advance(29 * 60 + 59)
    assert not prune.is_due(clock.monotonic())
    clock.advance(1)
    assert prune.is_due(clock.monotonic())
    assert prune.wait_s(clock.monotonic()) == 0


def test_once_run_it_is_due_again_tomorrow_at_the_same_time() -> None:
    clock = FakeClock(local(3, 29))
    prune = DailyAt("03:30", clock)
    clock.advance(60)
    assert prune.is_due(clock.monotonic())
    assert prune.complete(clock.monotonic(), clock.monotonic() + 5) == 0
    assert not prune.is_due(clock.monotonic())
    assert prune.next_due == clock.monotonic() + DAY_S


def test_a_late_check_runs_it_once_not_once_per_missed_day() -> None:
    clock = FakeClock(local(3, 0))
    prune = DailyAt("03:30", clock)
    clock.advance(3 * DAY_S)
    assert prune.is_due(clock.monotonic())
    prune.complete(clock.monotonic(), clock.monotonic())
    assert not prune.is_due(clock.monotonic())
    assert prune.wait_s(clock.monotonic()) == 30 * 60


def test_the_schedule_library_reads_the_system_time_again_afterwards() -> None:
    prune = DailyAt("03:30", FakeClock(local(3, 0)))
    prune.is_due(0.0)
    prune.wait_s(0.0)
    assert vars(schedule)["datetime"] is dt


class StoppingClock(FakeClock):
    """Calls ``stop`` once monotonic time has moved ``after`` seconds on."""

    def __init__(self, start: datetime, after: float) -> None:
        super().__init__(start)
        self.deadline = self.monotonic() + after
        self.stop: Callable[[], None] = lambda: None

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.monotonic() >= self.deadline:
            self.stop()


def recorder(clock: FakeClock, runs: list[float]) -> Callable[[], StepOutcome]:
    start = clock.monotonic()

    def fn() -> StepOutcome:
        runs.append(clock.monotonic() - start)
        return StepOutcome()

    return fn


def test_the_loop_runs_a_daily_step_at_its_time_beside_interval_steps() -> None:
    clock = StoppingClock(local(2, 0), after=2 * DAY_S)
    pruned: list[float] = []
    ticked: list[float] = []
    steps = [
        Step("tick", 6 * HOUR, recorder(clock, ticked)),
        Step("prune", DAY_S, recorder(clock, pruned), at="03:30"),
    ]
    board = StatusBoard("test:1:aa", clock.now(), clock)
    daemon = Daemon(steps, clock, NoSystemd(), board=board, idle_slice_s=60)
    clock.stop = daemon.request_stop
    daemon.run()
    assert pruned == [1.5 * HOUR, 25.5 * HOUR]
    assert ticked == [n * 6 * HOUR for n in range(8)]
    state = board.snapshot().step("prune")
    assert state is not None and (state.runs, state.skipped) == (2, 0)


def test_once_runs_the_daily_step_too() -> None:
    clock = FakeClock(local(12, 0))
    pruned: list[float] = []
    steps = [Step("prune", DAY_S, recorder(clock, pruned), at="03:30")]
    Daemon(steps, clock, NoSystemd()).run(once=True)
    assert pruned == [0.0]


def test_a_reload_with_another_time_moves_the_daily_step() -> None:
    clock = StoppingClock(local(2, 0), after=DAY_S)
    pruned: list[float] = []
    reloads: list[str] = []

    def tick() -> StepOutcome:
        if not reloads:
            reloads.append("04:00")
            daemon.request_reload()
        return StepOutcome()

    def steps(at: str) -> list[Step]:
        prune = Step("prune", DAY_S, recorder(clock, pruned), at=at)
        return [Step("tick", HOUR, tick), prune]

    hooks = Hooks(reload=lambda: steps(reloads[-1]))
    daemon = Daemon(steps("03:30"), clock, NoSystemd(), hooks=hooks, idle_slice_s=60)
    clock.stop = daemon.request_stop
    daemon.run()
    assert pruned == [2 * HOUR]
