"""The daemon's status board: what each step did last, shared across threads.

The loop writes it; the /health endpoint, the heartbeat step and systemd's
STATUS line read frozen snapshots of it.

A step is *stalled* while its current run has lasted longer than the
board's ``stall_after_s`` (one crawl period, at least a minute: see
``ssop.core.ops.daemon_registry.stall_after_s``); /health then answers 503
and the heartbeat carries each step's start and finish times, so
``ssop health`` can tell which step hangs and for how long.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from ssop.core.clock import Clock

# A step this late (monotonic seconds past its slot) is reported as overdue.
OVERDUE_MIN_S = 60.0
# The runtime passes daemon_registry.stall_after_s(settings.app); this module
# stays free of the store's imports (daemon_entry and the tests load it bare).
DEFAULT_STALL_AFTER_S = 60.0


@dataclass(frozen=True)
class StepState:
    """What one step has done so far: its runs, failures and last result."""

    name: str
    interval_s: float
    runs: int = 0
    failures: int = 0
    skipped: int = 0
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_success_at: datetime | None = None
    last_duration_s: float | None = None
    last_ok: bool | None = None
    last_error: str | None = None
    last_summary: str = ""
    degraded: bool = False
    overdue: bool = False
    running_since: datetime | None = None
    running_for_s: float | None = None
    stalled: bool = False
    next_due: float | None = field(default=None, repr=False)
    started_mono: float | None = field(default=None, repr=False)

    def flags(self) -> list[str]:
        out = []
        if self.last_ok is False:
            out.append(f"{self.name}: failing")
        if self.degraded:
            out.append(f"{self.name}: degraded")
        if self.overdue:
            out.append(f"{self.name}: overdue")
        if self.stalled:
            out.append(f"{self.name}: stalled")
        return out

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("next_due")
        data.pop("started_mono")
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data

    def times(self) -> dict[str, Any]:
        """The step's interval and times, as the heartbeat stores them."""
        return {
            "interval_s": self.interval_s,
            "last_started_at": _iso(self.last_started_at),
            "last_finished_at": _iso(self.last_finished_at),
            "running_since": _iso(self.running_since),
        }


@dataclass(frozen=True)
class DaemonSnapshot:
    daemon_id: str
    started_at: datetime
    stopping: bool
    steps: tuple[StepState, ...]
    stall_after_s: float = DEFAULT_STALL_AFTER_S

    @property
    def errors(self) -> int:
        return sum(s.failures for s in self.steps)

    @property
    def degraded(self) -> list[str]:
        flags = [flag for s in self.steps for flag in s.flags()]
        return ["stopping", *flags] if self.stopping else flags

    @property
    def healthy(self) -> bool:
        return not self.degraded

    def step(self, name: str) -> StepState | None:
        return next((s for s in self.steps if s.name == name), None)

    def status_line(self) -> str:
        """One line for systemd's STATUS=.

        For example ``crawl: crawled 50 servers, 2 failed; 0 step error(s)``.
        """
        parts = [f"{s.name}: {s.last_summary}" for s in self.steps if s.last_summary]
        parts.append(f"{self.errors} step error(s)")
        return "; ".join(parts)

    def heartbeat_info(self) -> dict[str, Any]:
        """What the heartbeat stores for ``ssop health``: flags, skips, step times."""
        return {
            "degraded": self.degraded,
            "skipped": {s.name: s.skipped for s in self.steps},
            "stall_after_s": self.stall_after_s,
            "steps": {s.name: s.times() for s in self.steps},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "daemon_id": self.daemon_id,
            "started_at": self.started_at.isoformat(),
            "healthy": self.healthy,
            "stopping": self.stopping,
            "errors": self.errors,
            "skipped": sum(s.skipped for s in self.steps),
            "degraded": self.degraded,
            "stall_after_s": self.stall_after_s,
            "steps": {s.name: s.as_dict() for s in self.steps},
        }


@dataclass(frozen=True)
class StepRun:
    """One finished run of a step, as the loop hands it to the board."""

    started_at: datetime
    finished_at: datetime
    duration_s: float
    error: str | None = None
    summary: str = ""
    degraded: bool = False


class StatusBoard:
    def __init__(
        self,
        daemon_id: str,
        started_at: datetime,
        clock: Clock,
        stall_after_s: float = DEFAULT_STALL_AFTER_S,
    ) -> None:
        self.daemon_id = daemon_id
        self.started_at = started_at
        self.stall_after_s = stall_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._steps: dict[str, StepState] = {}
        self._stopping = False

    def add_step(self, name: str, interval_s: float) -> None:
        with self._lock:
            old = self._steps.get(name)
            self._steps[name] = (
                replace(old, interval_s=interval_s)
                if old
                else StepState(name, interval_s)
            )

    def keep_only(self, names: set[str]) -> None:
        with self._lock:
            self._steps = {k: v for k, v in self._steps.items() if k in names}

    def start(self, name: str, at: datetime) -> None:
        """A run of ``name`` began at ``at`` (wall time; its length is monotonic)."""
        with self._lock:
            self._steps[name] = replace(
                self._steps[name],
                running_since=at,
                started_mono=self._clock.monotonic(),
            )

    def record(self, name: str, result: StepRun) -> None:
        ok = result.error is None
        with self._lock:
            old = self._steps[name]
            self._steps[name] = replace(
                old,
                runs=old.runs + 1,
                failures=old.failures + (0 if ok else 1),
                last_started_at=result.started_at,
                last_finished_at=result.finished_at,
                last_success_at=result.finished_at if ok else old.last_success_at,
                last_duration_s=result.duration_s,
                last_ok=ok,
                last_error=result.error,
                last_summary=result.summary if ok else f"failed: {result.error}",
                degraded=result.degraded,
                running_since=None,
                started_mono=None,
            )

    def add_skipped(self, name: str, count: int) -> None:
        with self._lock:
            old = self._steps[name]
            self._steps[name] = replace(old, skipped=old.skipped + count)

    def set_next_due(self, name: str, next_due: float) -> None:
        with self._lock:
            self._steps[name] = replace(self._steps[name], next_due=next_due)

    def set_stopping(self) -> None:
        self._stopping = True

    def snapshot(self) -> DaemonSnapshot:
        now = self._clock.monotonic()
        with self._lock:
            steps = tuple(
                self._with_stall(_with_overdue(s, now), now)
                for s in self._steps.values()
            )
        return DaemonSnapshot(
            self.daemon_id, self.started_at, self._stopping, steps, self.stall_after_s
        )

    def _with_stall(self, step: StepState, now: float) -> StepState:
        if step.started_mono is None:
            return step
        running = now - step.started_mono
        return replace(
            step, running_for_s=running, stalled=running > self.stall_after_s
        )


def _with_overdue(step: StepState, now: float) -> StepState:
    if step.next_due is None:
        return step
    late = now - step.next_due
    return replace(step, overdue=late > max(3 * step.interval_s, OVERDUE_MIN_S))


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
