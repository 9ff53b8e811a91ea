"""The daemon loop on a fake clock: intervals, skipped slots, stops and reloads."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence

import pytest

from ssop.core.config.schema import AppSection
from ssop.core.errors import ConfigError, ExitCode, StoreError, TransportError
from ssop.core.logsetup import configure
from ssop.daemon.board import StatusBoard
from ssop.daemon.loop import Daemon, Hooks, StopControl
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.step import Step, StepOutcome
from ssop.daemon.systemd_notify import SdNotify
from tests.fakes.clock import FakeClock
from tests.fakes.notify import RecordingSender


class DeadlineClock(FakeClock):
    """A fake clock that asks the daemon to stop once monotonic time hits a deadline."""

    def __init__(self) -> None:
        super().__init__()
        self.deadline: float | None = None
        self.on_deadline: Callable[[], None] = lambda: None

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.deadline is not None and self.monotonic() >= self.deadline:
            self.on_deadline()


class Log:
    """Records which step ran at which monotonic second (relative to start)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.start = clock.monotonic()
        self.runs: list[tuple[str, float]] = []

    def step(
        self,
        name: str,
        *,
        durations: Sequence[float] = (),
        action: Callable[[int], StepOutcome | None] | None = None,
    ) -> Callable[[], StepOutcome | None]:
        def fn() -> StepOutcome | None:
            n = sum(1 for r in self.runs if r[0] == name)
            self.runs.append((name, self.clock.monotonic() - self.start))
            self.clock.advance(durations[n] if n < len(durations) else 0.0)
            return action(n) if action else None

        return fn

    def times(self, name: str) -> list[float]:
        return [t for n, t in self.runs if n == name]


@pytest.fixture
def clock() -> DeadlineClock:
    return DeadlineClock()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


def make_daemon(
    steps: Sequence[Step],
    clock: DeadlineClock,
    sender: RecordingSender,
    *,
    run_for: float | None = None,
    watchdog_usec: int | None = None,
    hooks: Hooks | None = None,
    control: StopControl | None = None,
) -> Daemon:
    daemon = Daemon(
        steps,
        clock,
        SdNotify(clock, watchdog_usec, sender),
        board=StatusBoard("test:1:aa", clock.now(), clock),
        metrics=MetricsRegistry(),
        control=control,
        hooks=hooks,
        # a full collection in a test worker's large heap can take seconds of
        # wall time under load, longer than the threads' bounded waits
        release_memory=lambda: None,
    )
    if run_for is not None:
        clock.deadline = clock.monotonic() + run_for
        clock.on_deadline = daemon.request_stop
    return daemon


def sample(daemon: Daemon, name: str, step: str) -> float:
    value = daemon.metrics.registry.get_sample_value(name, {"step": step})
    assert value is not None, f"no sample {name}{{step={step}}}"
    return value


def test_steps_run_on_their_own_intervals(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    log = Log(clock)
    steps = [Step("a", 10, log.step("a")), Step("b", 25, log.step("b"))]
    daemon = make_daemon(steps, clock, sender, run_for=60)
    assert daemon.run() == ExitCode.OK
    assert log.times("a") == [0, 10, 20, 30, 40, 50]
    assert log.times("b") == [0, 25, 50]
    snap = daemon.board.snapshot()
    assert [(s.name, s.runs, s.skipped) for s in snap.steps] == [
        ("a", 6, 0),
        ("b", 3, 0),
    ]
    assert sample(daemon, "ssop_daemon_step_runs_total", "a") == 6


def test_idle_waits_go_through_the_clock_in_short_slices(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    log = Log(clock)
    daemon = make_daemon([Step("a", 10, log.step("a"))], clock, sender, run_for=20)
    daemon.run()
    assert clock.slept and max(clock.slept) <= daemon.idle_slice_s
    assert sum(clock.slept) == pytest.approx(20)


def test_an_overrun_skips_and_counts_missed_slots_instead_of_stacking_them(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    log = Log(clock)
    steps = [
        Step("slow", 10, log.step("slow", durations=[35])),
        Step("fast", 10, log.step("fast")),
    ]
    daemon = make_daemon(steps, clock, sender, run_for=60)
    daemon.run()
    assert log.times("slow") == [0, 40, 50]
    # fast was due at 0 but waited behind slow: its run at 35 served slot 30.
    assert log.times("fast") == [35, 40, 50]
    snap = daemon.board.snapshot()
    assert {s.name: s.skipped for s in snap.steps} == {"slow": 3, "fast": 3}
    assert sample(daemon, "ssop_daemon_step_skipped_total", "slow") == 3
    assert daemon.board.snapshot().as_dict()["skipped"] == 6


def test_a_wall_clock_jump_does_not_move_the_schedule(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    log = Log(clock)

    def jump(n: int) -> None:
        clock.jump_wall(+86400 if n == 1 else -7200 if n == 3 else 0)

    daemon = make_daemon(
        [Step("a", 10, log.step("a", action=jump))], clock, sender, run_for=50
    )
    daemon.run()
    assert log.times("a") == [0, 10, 20, 30, 40]
    assert daemon.board.snapshot().steps[0].skipped == 0


def test_once_runs_each_step_once_in_order_without_waiting(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    log = Log(clock)
    calls: list[str] = []
    hooks = Hooks(
        bootstrap=lambda: calls.append("bootstrap"),
        teardown=lambda: calls.append("teardown"),
    )
    crawl = log.step("crawl", action=lambda n: StepOutcome("crawled 3 servers"))
    steps = [Step("crawl", 60, crawl), Step("heartbeat", 15, log.step("heartbeat"))]
    daemon = make_daemon(steps, clock, sender, hooks=hooks)
    assert daemon.run(once=True) == ExitCode.OK
    assert [n for n, _ in log.runs] == ["crawl", "heartbeat"]
    assert clock.slept == []
    assert calls == ["bootstrap", "teardown"]
    assert sender.messages == [
        "READY=1",
        "STATUS=crawl: crawled 3 servers; 0 step error(s)",
        "STOPPING=1",
    ]


def test_a_failing_step_is_logged_redacted_counted_and_the_loop_goes_on(
    clock: DeadlineClock, sender: RecordingSender, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(AppSection(), "daemon")
    log = Log(clock)

    def explode(n: int) -> None:
        if n == 0:
            raise TransportError("server web1: refused, password=hunter2")
        if n == 1:
            raise RuntimeError("token=abc123 leaked")

    steps = [
        Step("bad", 10, log.step("bad", action=explode)),
        Step("ok", 10, log.step("ok")),
    ]
    daemon = make_daemon(steps, clock, sender, run_for=30)
    assert daemon.run() == ExitCode.OK
    assert log.times("ok") == [0, 10, 20]
    bad = daemon.board.snapshot().step("bad")
    assert bad is not None
    assert (bad.runs, bad.failures, bad.last_ok) == (3, 2, True)
    assert sample(daemon, "ssop_daemon_step_failures_total", "bad") == 2
    err = capsys.readouterr().err
    assert "step bad: server web1: refused, password=***" in err
    assert "step bad: unexpected error" in err and "RuntimeError" in err
    assert "hunter2" not in err and "abc123" not in err


def test_the_last_error_shown_on_health_is_redacted(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    def fail() -> None:
        raise TransportError("cannot reach mysql://u:pw123@db:3306/x")

    daemon = make_daemon([Step("bad", 10, fail)], clock, sender)
    daemon.run(once=True)
    snap = daemon.board.snapshot()
    assert snap.steps[0].last_error == "cannot reach mysql://u:***@db:3306/x"
    assert snap.degraded == ["stopping", "bad: failing"]
    assert snap.errors == 1


def test_bootstrap_failure_propagates_and_still_tears_down(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    calls: list[str] = []

    def bootstrap() -> None:
        raise StoreError("the store is not initialised")

    hooks = Hooks(bootstrap=bootstrap, teardown=lambda: calls.append("teardown"))
    daemon = make_daemon([Step("a", 10, lambda: None)], clock, sender, hooks=hooks)
    with pytest.raises(StoreError, match="not initialised"):
        daemon.run()
    assert calls == ["teardown"]
    assert "READY=1" not in sender.messages


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {
        s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    }
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("restore_signals")
def test_first_sigterm_finishes_the_current_step_then_stops(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    finished: list[str] = []

    def stop_mid_step() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        clock.advance(2)
        finished.append("a")

    steps = [Step("a", 10, stop_mid_step), Step("b", 10, lambda: finished.append("b"))]
    daemon = make_daemon(steps, clock, sender)
    assert daemon.run() == ExitCode.OK
    assert finished == ["a"]
    assert signal.getsignal(signal.SIGTERM) is before
    assert sender.messages[-1] == "STOPPING=1"


@pytest.mark.usefixtures("restore_signals")
def test_a_second_signal_abandons_the_step_at_once(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    reached: list[str] = []
    torn_down: list[bool] = []

    def stop_twice() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        reached.append("after first")
        os.kill(os.getpid(), signal.SIGINT)
        reached.append("after second")

    hooks = Hooks(teardown=lambda: torn_down.append(True))
    daemon = make_daemon([Step("a", 10, stop_twice)], clock, sender, hooks=hooks)
    assert daemon.run() == ExitCode.INTERRUPTED
    assert reached == ["after first"]
    assert torn_down == [True]


@pytest.mark.usefixtures("restore_signals")
def test_sighup_reloads_between_steps_and_a_bad_reload_keeps_the_old_steps(
    clock: DeadlineClock, sender: RecordingSender, caplog: pytest.LogCaptureFixture
) -> None:
    log = Log(clock)
    reloads: list[int] = []

    def hup(n: int) -> None:
        if n in (0, 2):
            os.kill(os.getpid(), signal.SIGHUP)

    def reload() -> list[Step] | None:
        reloads.append(len(reloads))
        if len(reloads) == 1:
            return [Step("a", 5, log.step("a", action=hup))]
        raise ConfigError("config file /etc/ssop/ssop.toml: not valid TOML")

    steps = [Step("a", 10, log.step("a", action=hup))]
    daemon = make_daemon(steps, clock, sender, hooks=Hooks(reload=reload), run_for=30)
    with caplog.at_level(logging.ERROR, logger="ssop"):
        daemon.run()
    assert reloads == [0, 1]
    # Interval 10 until the first reload at 0, then 5; the failed reload changes
    # nothing.
    assert log.times("a") == [0, 5, 10, 15, 20, 25]
    assert "reload failed, keeping the old configuration" in caplog.text


def test_steps_polling_should_stop_keep_the_watchdog_fed(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    control = StopControl()

    def long_crawl() -> None:
        for _server in range(6):
            clock.advance(1)
            if control.should_stop():
                return

    daemon = make_daemon(
        [Step("crawl", 60, long_crawl)],
        clock,
        sender,
        watchdog_usec=2_000_000,
        control=control,
    )
    daemon.run(once=True)
    # Pings at 1 s intervals (half of 2 s): t=1, 2, ... 6 during the step.
    assert sender.count("WATCHDOG=1") == 6


def test_the_idle_loop_feeds_the_watchdog_at_half_its_period(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    daemon = make_daemon(
        [Step("a", 60, lambda: None)],
        clock,
        sender,
        watchdog_usec=10_000_000,
        run_for=60,
    )
    daemon.run()
    assert sender.count("WATCHDOG=1") == 12


def test_a_failed_step_is_handed_to_the_step_failed_hook_redacted(
    clock: DeadlineClock, sender: RecordingSender
) -> None:
    failures: list[tuple[str, str]] = []

    def fail() -> None:
        raise TransportError("cannot reach mysql://u:pw123@db:3306/x")

    hooks = Hooks(step_failed=lambda step, message: failures.append((step, message)))
    steps = [Step("bad", 10, fail), Step("good", 10, lambda: None)]
    make_daemon(steps, clock, sender, hooks=hooks).run(once=True)
    assert failures == [("bad", "cannot reach mysql://u:***@db:3306/x")]
