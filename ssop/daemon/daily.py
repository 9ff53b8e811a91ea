"""Steps due once a day at a local time of day, on the wall clock.

Short intervals run on monotonic slots (``schedule.py``). A daily job such
as the prune belongs to a time of day instead (03:30, when the fleet is
quiet), which only the wall clock knows; the ``schedule`` library works out
when "every day at HH:MM" next comes, daylight saving time included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Self

import schedule

from ssop.core.clock import Clock

DAY_S = 24 * 3600.0


class DailyAt:
    """Due when the wall clock reaches ``at`` (HH:MM, local time), once a day.

    A run that falls due while the loop is busy starts once it is free; days
    the daemon was down are not made up.
    """

    def __init__(self, at: str, clock: Clock) -> None:
        self.at = at
        self.interval_s = DAY_S
        self._clock = clock
        self._time = _datetime_reading(clock)
        self._scheduler = schedule.Scheduler()
        self._due = False
        with self._schedule_time():
            self._scheduler.every().day.at(at).do(self._fall_due)

    def is_due(self, now: float) -> bool:
        """Whether the time of day has come; ``now`` (monotonic) is not used."""
        with self._schedule_time():
            self._scheduler.run_pending()
        return self._due

    def wait_s(self, now: float) -> float:
        if self._due:
            return 0.0
        with self._schedule_time():
            idle = self._scheduler.idle_seconds
        return max(0.0, idle if idle is not None else DAY_S)

    def complete(self, started: float, finished: float) -> int:
        """Book the run; nothing is skipped, the next run is tomorrow."""
        self._due = False
        return 0

    @property
    def next_due(self) -> float:
        """The next run on the monotonic clock, for the status board."""
        now = self._clock.monotonic()
        return now + self.wait_s(now)

    def _fall_due(self) -> None:
        self._due = True

    @contextmanager
    def _schedule_time(self) -> Iterator[None]:
        """Let ``schedule`` read the injected clock while it is called.

        schedule calls ``datetime.datetime.now()`` itself and takes no clock
        (its maintainers declined one, dbader/schedule#362), so the
        ``datetime`` its module sees is swapped for the call. Only the
        daemon loop's thread calls it.
        """
        names = vars(schedule)
        system = names["datetime"]
        names["datetime"] = self._time
        try:
            yield
        finally:
            names["datetime"] = system


def _datetime_reading(clock: Clock) -> SimpleNamespace:
    """The ``datetime`` module, except that ``datetime.now()`` reads ``clock``."""

    class ClockDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Self:
            return cls.fromtimestamp(clock.now().timestamp(), tz)

    return SimpleNamespace(**{**vars(dt), "datetime": ClockDatetime})
