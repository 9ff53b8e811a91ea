"""The daemon's status board: what each step did last, shared across threads.

The loop writes it; the /health endpoint, the heartbeat step and systemd's
STATUS line read frozen snapshots of it.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from ssop.core.clock import Clock

# A step this late (monotonic seconds past its slot) is reported as overdue.
OVERDUE_MIN_S = 60.0


@dataclass(frozen=True)
class StepReport:
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
    next_due: float | None = field(default=None, repr=False)

    def flags(self) -> list[str]:
        out = []
        if self.last_ok is False:
            out.append(f"{self.name}: failing")
        if self.degraded:
            out.append(f"{self.name}: degraded")
        if self.overdue:
            out.append(f"{self.name}: overdue")
        return out

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("next_due")
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass(frozen=True)
class DaemonSnapshot:
    daemon_id: str
    started_at: datetime
    stopping: bool
    steps: tuple[StepReport, ...]

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

    def step(self, name: str) -> StepReport | None:
        return next((s for s in self.steps if s.name == name), None)

    def status_line(self) -> str:
        """One line for systemd's STATUS=.

        For example ``crawl: crawled 50 servers, 2 failed; 0 step error(s)``.
        """
        parts = [f"{s.name}: {s.last_summary}" for s in self.steps if s.last_summary]
        parts.append(f"{self.errors} step error(s)")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "daemon_id": self.daemon_id,
            "started_at": self.started_at.isoformat(),
            "healthy": self.healthy,
            "stopping": self.stopping,
            "errors": self.errors,
            "skipped": sum(s.skipped for s in self.steps),
            "degraded": self.degraded,
            "steps": {s.name: s.as_dict() for s in self.steps},
        }


@dataclass(frozen=True)
class RunResult:
    """One finished run of a step, as the loop hands it to the board."""

    started_at: datetime
    finished_at: datetime
    duration_s: float
    error: str | None = None
    summary: str = ""
    degraded: bool = False
    available: bool = True


class StatusBoard:
    def __init__(self, daemon_id: str, started_at: datetime, clock: Clock) -> None:
        self.daemon_id = daemon_id
        self.started_at = started_at
        self._clock = clock
        self._lock = threading.Lock()
        self._steps: dict[str, StepReport] = {}
        self._stopping = False

    def add_step(self, name: str, interval_s: float) -> None:
        with self._lock:
            old = self._steps.get(name)
            self._steps[name] = (
                replace(old, interval_s=interval_s)
                if old
                else StepReport(name, interval_s)
            )

    def keep_only(self, names: set[str]) -> None:
        with self._lock:
            self._steps = {k: v for k, v in self._steps.items() if k in names}

    def record(self, name: str, result: RunResult) -> None:
        ok = result.error is None
        with self._lock:
            old = self._steps[name]
            self._steps[name] = replace(
                old,
                runs=old.runs + 1,
                failures=old.failures + (0 if ok else 1),
                last_started_at=result.started_at,
                last_finished_at=result.finished_at,
                last_success_at=(
                    result.finished_at
                    if ok and result.available
                    else old.last_success_at
                ),
                last_duration_s=result.duration_s,
                last_ok=ok,
                last_error=result.error,
                last_summary=result.summary if ok else f"failed: {result.error}",
                degraded=result.degraded,
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
            steps = tuple(_with_overdue(s, now) for s in self._steps.values())
        return DaemonSnapshot(self.daemon_id, self.started_at, self._stopping, steps)


def _with_overdue(step: StepReport, now: float) -> StepReport:
    if step.next_due is None:
        return step
    late = now - step.next_due
    return replace(step, overdue=late > max(3 * step.interval_s, OVERDUE_MIN_S))
