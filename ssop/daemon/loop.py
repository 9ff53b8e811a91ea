"""The daemon loop: run small named steps on fixed intervals until told to stop.

``Daemon.run`` follows rq's worker: bootstrap, install signal handlers, loop,
and always tear down. The first SIGTERM/SIGINT is a warm stop (the current
step finishes), the second a cold one (abandon it now); SIGHUP asks for a
reload between steps. All waiting goes through the injected clock in short
slices, so tests never sleep and a stop is noticed within a slice.

Steps run in lanes (``ssop.daemon.lanes``): the main lane on this thread,
each other lane on a thread of its own, so a step stuck on a slow dependency
holds up only its own lane. ``once`` runs every step in order on this thread.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from types import FrameType
from typing import Any

from ssop.core.clock import Clock
from ssop.core.errors import ExitCode, SsopError
from ssop.core.logsetup import redact
from ssop.daemon.board import StatusBoard, StepRun
from ssop.daemon.daily import DailyAt
from ssop.daemon.lanes import (
    RELOAD_WAIT_S,
    STOP_WAIT_S,
    Lane,
    LaneThread,
    lanes_of,
)
from ssop.daemon.memory import release_freed_memory
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.schedule import Slots, Timer
from ssop.daemon.step import MAIN_LANE, Step, StepOutcome
from ssop.daemon.systemd_notify import SystemdNotifier

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RELEASE_EVERY_S = 5.0


@dataclass(frozen=True)
class Hooks:
    """Start-up, shutdown and reload work of the process around the loop."""

    bootstrap: Callable[[], None] = lambda: None
    teardown: Callable[[], None] = lambda: None
    reload: Callable[[], Sequence[Step] | None] = lambda: None
    step_failed: Callable[[str, str], None] = lambda step, message: None
    errors: Callable[[], AbstractContextManager[object]] = lambda: nullcontext()
    """Wraps each step, turning library errors (the store's) into SsopError."""


class ColdStop(BaseException):
    """Raised by the signal handler on a second stop request.

    A BaseException, not an Exception: steps and the libraries under them
    catch ``Exception`` to keep going, and a cold stop must not be kept going.
    """


class StopControl:
    """The stop flag shared by the loop and its steps.

    Steps call ``should_stop()`` between servers, from any thread. Each call
    also runs the poll hooks (the systemd watchdog ping): a step that keeps
    polling is alive.
    """

    def __init__(self) -> None:
        self._requested = False
        self._poll_hooks: list[Callable[[], None]] = []

    @property
    def requested(self) -> bool:
        return self._requested

    def request(self) -> None:
        self._requested = True

    def on_poll(self, hook: Callable[[], None]) -> None:
        self._poll_hooks.append(hook)

    def should_stop(self) -> bool:
        for hook in self._poll_hooks:
            hook()
        return self._requested


class Daemon:
    def __init__(
        self,
        steps: Sequence[Step],
        clock: Clock,
        notifier: SystemdNotifier,
        *,
        board: StatusBoard | None = None,
        metrics: MetricsRegistry | None = None,
        control: StopControl | None = None,
        hooks: Hooks | None = None,
        idle_slice_s: float = 0.25,
        release_memory: Callable[[], object] = release_freed_memory,
    ) -> None:
        self.clock = clock
        self.release_memory = release_memory
        self.notifier = notifier
        self.board = board or StatusBoard("daemon", clock.now(), clock)
        self.metrics = metrics or MetricsRegistry()
        self.control = control or StopControl()
        self.hooks = hooks or Hooks()
        self.idle_slice_s = idle_slice_s
        # Short enough to notice a stop quickly and to feed a short watchdog.
        self._slice_s = min(idle_slice_s, notifier.ping_every_s or idle_slice_s)
        self._loop_thread = threading.current_thread()
        self.control.on_poll(self._keepalive)
        self._steps: list[Step] = []
        self._timers: dict[str, Timer] = {}
        self._main = self._lane(MAIN_LANE, [])
        self._others: list[LaneThread] = []
        self._reload_requested = False
        self._released_at = float("-inf")
        self._previous_handlers: dict[int, Any] = {}
        self._set_steps(steps)

    @property
    def name(self) -> str:
        return self.board.daemon_id

    def run(self, once: bool = False) -> int:
        """Run until stopped (or each step once when ``once``); the exit code.

        Raises:
            SsopError: bootstrap failed (ConfigError, StoreError, ...); the
                shell turns it into a non-zero exit so systemd sees it.
        """
        self._loop_thread = threading.current_thread()
        try:
            self.bootstrap()
            self._install_signal_handlers()
            self.notifier.ready()
            log.info("daemon %s: ready (%s)", self.name, "once" if once else "loop")
            self._work(once)
            return int(ExitCode.OK)
        except ColdStop:
            log.warning("daemon %s: cold stop, current step abandoned", self.name)
            return int(ExitCode.INTERRUPTED)
        finally:
            self.teardown()

    def bootstrap(self) -> None:
        self.hooks.bootstrap()

    def teardown(self) -> None:
        self._restore_signal_handlers()
        self.board.set_stopping()
        self.notifier.stopping()
        self.hooks.teardown()
        log.info("daemon %s: stopped", self.name)

    def request_stop(self) -> None:
        """Warm stop: finish the current step, then leave the loop."""
        self.control.request()

    def request_reload(self) -> None:
        self._reload_requested = True

    def _work(self, once: bool) -> None:
        if once:
            self._cycle(self._steps)
            return
        self._start_lanes()
        cold = True
        try:
            self._loop()
            cold = False
        finally:
            # A cold stop abandons the other lanes' steps, as it does this one's.
            self._halt_lanes(wait_s=0.0 if cold else STOP_WAIT_S)

    def _loop(self) -> None:
        while not self.control.requested:
            self._reload_if_requested()
            ran = self._main.run_due(lambda: self.control.requested)
            if ran:
                self.notifier.status(self.board.snapshot().status_line())
            self._main.idle(self._idle_over, self.notifier.keepalive)

    def _idle_over(self) -> bool:
        return self.control.requested or self._reload_requested

    def _cycle(self, steps: Sequence[Step]) -> None:
        for step in steps:
            if self.control.requested:
                break
            self._run_step(step)
        if steps:
            self.notifier.status(self.board.snapshot().status_line())

    def _run_step(self, step: Step) -> None:
        started, started_at = self.clock.monotonic(), self.clock.now()
        self.board.start(step.name, started_at)
        outcome, error = self._call(step)
        finished = self.clock.monotonic()
        duration = finished - started
        timer = self._timers[step.name]
        skipped = timer.complete(started, finished) // step.ticks
        result = StepRun(
            started_at=started_at,
            finished_at=self.clock.now(),
            duration_s=duration,
            error=error,
            summary=outcome.summary,
            degraded=outcome.degraded,
        )
        self.board.record(step.name, result)
        self.board.set_next_due(step.name, timer.next_due)
        self.metrics.step_finished(step.name, duration, ok=error is None)
        self.metrics.items_failed(step.name, outcome.failed)
        if error is not None:
            self.hooks.step_failed(step.name, error)
        if skipped:
            log.warning(
                "step %s: %d run(s) skipped, the loop was busy", step.name, skipped
            )
            self.board.add_skipped(step.name, skipped)
            self.metrics.step_skipped(step.name, skipped)
        self._release_memory(outcome)
        self._keepalive()

    def _release_memory(self, outcome: StepOutcome) -> None:
        # A full collection costs ~0.1 s of CPU on a daemon holding hundreds of
        # connections: after real work, and not more often than RELEASE_EVERY_S,
        # or the fixed cost of each daemon eats what sharing the crawl saves.
        now = self.clock.monotonic()
        if outcome.idle or now - self._released_at < RELEASE_EVERY_S:
            return
        self._released_at = now
        self.release_memory()

    def _keepalive(self) -> None:
        # Only this thread's progress proves the loop alive: a stuck crawl must
        # not be hidden from the watchdog by another lane polling should_stop().
        if threading.current_thread() is self._loop_thread:
            self.notifier.keepalive()

    def _call(self, step: Step) -> tuple[StepOutcome, str | None]:
        try:
            with self.hooks.errors():
                return step.fn() or StepOutcome(), None
        except SsopError as e:
            log.error("step %s: %s", step.name, e.message)
            return StepOutcome(), redact(e.message)
        # The loop outlives any one bad step (systemd restarts cost a crawl);
        # the traceback goes to the log, redacted by the daemon's handler.
        except Exception as e:
            log.exception("step %s: unexpected error", step.name)
            return StepOutcome(), redact(f"internal error: {type(e).__name__}: {e}")

    def _reload_if_requested(self) -> None:
        if not self._reload_requested:
            return
        log.info("daemon %s: reloading configuration", self.name)
        self._halt_lanes(wait_s=RELOAD_WAIT_S)  # they use the services replaced
        self._reload_requested = False
        try:
            steps = self.hooks.reload()
        except SsopError as e:
            log.error(
                "daemon %s: reload failed, keeping the old configuration: %s",
                self.name,
                e.message,
            )
            steps = None
        if steps is not None:
            self._set_steps(steps)
        self._start_lanes()

    def _set_steps(self, steps: Sequence[Step]) -> None:
        now = self.clock.monotonic()
        for step in steps:
            self._timers[step.name] = self._timer_for(step, now)
            self.board.add_step(step.name, step.interval_s)
            self.metrics.add_step(step.name)
        names = {s.name for s in steps}
        self._timers = {k: v for k, v in self._timers.items() if k in names}
        self.board.keep_only(names)
        self._steps = list(steps)
        self._main = self._lane(MAIN_LANE, [s for s in steps if s.lane == MAIN_LANE])

    def _lane(self, name: str, steps: Sequence[Step]) -> Lane:
        return Lane(
            name,
            steps,
            self._timers,
            run=self._run_step,
            clock=self.clock,
            slice_s=self._slice_s,
        )

    def _start_lanes(self) -> None:
        lanes = lanes_of(self._steps)
        del lanes[MAIN_LANE]
        self._others = [
            LaneThread(self._lane(name, steps), self._idle_over)
            for name, steps in lanes.items()
        ]
        for lane in self._others:
            lane.start()

    def _halt_lanes(self, *, wait_s: float) -> None:
        for lane in self._others:
            lane.halt()  # all at once, then wait for each within one budget
        deadline = self.clock.monotonic() + wait_s
        for lane in self._others:
            if wait_s > 0:
                lane.join(deadline - self.clock.monotonic())
        self._others = []

    def _timer_for(self, step: Step, now: float) -> Timer:
        """The step's timer, kept across a reload unless its timing changed."""
        old = self._timers.get(step.name)
        if step.at is not None:
            if isinstance(old, DailyAt) and old.at == step.at:
                return old
            return DailyAt(step.at, self.clock)
        if not isinstance(old, Slots):
            return Slots(step.interval_s, now)
        if old.interval_s != step.interval_s:
            old.retime(step.interval_s, now)
        return old

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            log.debug("daemon %s: not the main thread, signals left alone", self.name)
            return
        for sig in STOP_SIGNALS:
            self._previous_handlers[sig] = signal.signal(sig, self._on_stop_signal)
        self._previous_handlers[signal.SIGHUP] = signal.signal(
            signal.SIGHUP, self._on_reload_signal
        )

    def _restore_signal_handlers(self) -> None:
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.control.requested:
            # A third signal must not wait for the teardown: default action.
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            log.warning("daemon %s: %s again, stopping now", self.name, name)
            raise ColdStop(name)
        log.info(
            "daemon %s: %s, stopping after the current step (again: abort)",
            self.name,
            name,
        )
        self.request_stop()

    def _on_reload_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.request_reload()
