"""What a daemon step is (a name, when it runs, its lane, a typed callable)
and what it reports back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The lane of the daemon's own thread, which alone feeds the systemd watchdog.
MAIN_LANE = "main"


@dataclass(frozen=True)
class StepOutcome:
    """What a step reports back; every field is optional."""

    summary: str = ""
    """Short text for systemd's STATUS line and /health (``crawled 50 servers``)."""
    failed: int = 0
    """Items (servers, readings) that failed inside an otherwise finished step."""
    degraded: bool = False
    """The step ran but could not do its job fully (e.g. the LLM is down)."""
    idle: bool = False
    """Nothing was due (a shared crawl's tick between stages): no garbage made."""


StepFn = Callable[[], StepOutcome | None]


@dataclass(frozen=True)
class Step:
    name: str
    interval_s: float
    """Seconds between runs on the monotonic clock (with ``at``: shown only)."""
    fn: StepFn
    at: str | None = None
    """Local time of day (HH:MM) to run at once a day, by the wall clock."""
    lane: str = MAIN_LANE
    """Steps of a lane other than main run on a thread of their own (see lanes)."""
    ticks: int = 1
    """Runs per period of work (a shared crawl ticks several times an interval):
    late runs are reported in whole periods, not in ticks."""
