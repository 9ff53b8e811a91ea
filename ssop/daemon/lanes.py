"""Lanes: the daemon's steps grouped onto threads, so one slow step holds up few.

Steps of one lane take turns, each on its own timer (fixed-interval slots, or a
daily time). The main lane (the crawl, policy, prune) runs on the daemon's own
thread and alone feeds the systemd watchdog. Every other lane loops on a thread
of its own: the analysis lane, where the model is asked, so a slow or rate-
limiting model never delays a crawl; and the heartbeat lane, so the store hears
of the daemon (and of a stalled step) while another step is stuck.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence

from ssop.core.clock import Clock
from ssop.daemon.schedule import Timer
from ssop.daemon.step import MAIN_LANE, Step

log = logging.getLogger(__name__)

# How long the daemon waits for other lanes' current steps: a warm stop must
# fit systemd's TimeoutStopSec (15 s), and what such a step leaves undone is
# redone (an unacknowledged crawl notice is handed out again). A reload must
# wait for them: it closes the services they use.
STOP_WAIT_S = 10.0
RELOAD_WAIT_S = 600.0

Predicate = Callable[[], bool]


class Lane:
    """Steps that take turns on one thread."""

    def __init__(
        self,
        name: str,
        steps: Sequence[Step],
        timers: Mapping[str, Timer],
        *,
        run: Callable[[Step], None],
        clock: Clock,
        slice_s: float,
    ) -> None:
        self.name = name
        self.steps = list(steps)
        self._timers = timers
        self._run = run
        self._clock = clock
        self._slice_s = slice_s

    def run_due(self, stop: Predicate) -> list[Step]:
        """Run each step whose slot has come, in order; the steps that ran."""
        now = self._clock.monotonic()
        ran: list[Step] = []
        for step in [s for s in self.steps if self._timers[s.name].is_due(now)]:
            if stop():
                break
            self._run(step)
            ran.append(step)
        return ran

    def idle(self, stop: Predicate, tick: Callable[[], None] = lambda: None) -> None:
        """Wait, slice by slice on the clock, until a step is due or ``stop()``."""
        now = self._clock.monotonic()
        waits = [self._timers[s.name].wait_s(now) for s in self.steps]
        deadline = now + min(waits, default=float("inf"))
        while not stop():
            left = deadline - self._clock.monotonic()
            if left <= 0:
                return
            tick()
            self._clock.sleep(min(self._slice_s, left))


class LaneThread:
    """One lane looping on a daemon thread until halted or the daemon stops."""

    def __init__(self, lane: Lane, stopping: Predicate) -> None:
        self.lane = lane
        self._stopping = stopping
        self._halt = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"ssop-lane-{lane.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def halt(self) -> None:
        """Start no further step; the current one finishes."""
        self._halt.set()

    def join(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the current step; whether it finished."""
        self._thread.join(max(0.0, timeout_s))
        if self._thread.is_alive():
            log.warning(
                "lane %s: still busy after %.0fs, left behind",
                self.lane.name,
                timeout_s,
            )
            return False
        return True

    def _halted(self) -> bool:
        return self._halt.is_set() or self._stopping()

    def _loop(self) -> None:
        log.debug("lane %s: started (%d step(s))", self.lane.name, len(self.lane.steps))
        while not self._halted():
            self.lane.run_due(self._halted)
            self.lane.idle(self._halted)


def lanes_of(steps: Sequence[Step]) -> dict[str, list[Step]]:
    """Steps by lane, the main lane first (present even when empty)."""
    lanes: dict[str, list[Step]] = {MAIN_LANE: []}
    for step in steps:
        lanes.setdefault(step.lane, []).append(step)
    return lanes
