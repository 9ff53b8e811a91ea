"""Fixed-interval slots on the monotonic clock, with missed slots skipped.

A step with interval I started at t0 owns the slots t0, t0+I, t0+2I, ...
Each run serves the latest slot that has come; slots that passed while the
loop was busy are counted as skipped, never run late in a burst, so a slow
crawl cannot pile up a backlog of crawls behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Slots:
    interval_s: float
    next_due: float

    def __post_init__(self) -> None:
        if self.interval_s <= 0:
            raise ValueError(f"interval must be positive, not {self.interval_s}")

    def is_due(self, now: float) -> bool:
        return now >= self.next_due

    def complete(self, started: float, finished: float) -> int:
        """Book a run from ``started`` to ``finished``; return the slots skipped.

        Slots before the one the run served, and slots that passed before it
        finished, are skipped; a slot falling exactly on ``finished`` is not.
        """
        behind = max(0, math.floor((started - self.next_due) / self.interval_s))
        served = self.next_due + behind * self.interval_s
        during = max(0, math.ceil((finished - served) / self.interval_s) - 1)
        self.next_due = served + (during + 1) * self.interval_s
        return behind + during

    def retime(self, interval_s: float, now: float) -> None:
        """Adopt a new interval (after a reload) without waiting longer than it."""
        if interval_s <= 0:
            raise ValueError(f"interval must be positive, not {interval_s}")
        self.interval_s = interval_s
        self.next_due = min(self.next_due, now + interval_s)
