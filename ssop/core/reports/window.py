"""The time a report covers: ``--window 24h|7d|30d|90d`` or ``--since/--until``.

Times are ISO 8601, UTC unless they carry a zone. A window of up to two
days has hourly buckets, a longer one daily buckets; buckets are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ssop.core.durations import YEAR, parse_duration
from ssop.core.errors import InvalidInput

DEFAULT_WINDOW = "24h"
HOURLY_UP_TO = timedelta(days=2)


@dataclass(frozen=True)
class Window:
    """[since, until), and how its time series are bucketed."""

    since: datetime
    until: datetime
    bucket: str  # "hour" | "day"

    @property
    def span(self) -> timedelta:
        return self.until - self.since

    def buckets(self) -> list[str]:
        """Every bucket's label in the window, oldest first, empty ones too."""
        step = timedelta(hours=1) if self.bucket == "hour" else timedelta(days=1)
        at = _floor(self.since, self.bucket)
        labels = []
        while at < self.until:
            labels.append(label(at, self.bucket))
            at += step
        return labels


def label(at: datetime, bucket: str) -> str:
    return f"{at:%Y-%m-%d %H}:00" if bucket == "hour" else f"{at:%Y-%m-%d}"


def _floor(at: datetime, bucket: str) -> datetime:
    hour = at.replace(minute=0, second=0, microsecond=0)
    return hour if bucket == "hour" else hour.replace(hour=0)


def parse_window(
    now: datetime,
    window: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Window:
    """The window a report's options name; the last 24 hours by default.

    Raises:
        InvalidInput: a malformed duration or date, ``--window`` with
            ``--since``/``--until``, or ``--since`` not before ``--until``.
    """
    if window is not None and (since is not None or until is not None):
        raise InvalidInput("use --window or --since/--until, not both")
    end = parse_time(until, "--until") if until is not None else now
    if since is not None:
        start = parse_time(since, "--since")
    else:
        start = end - parse_duration(window or DEFAULT_WINDOW, at_most=YEAR)
    if start >= end:
        raise InvalidInput(
            f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})"
        )
    bucket = "hour" if end - start <= HOURLY_UP_TO else "day"
    return Window(start, end, bucket)


def parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 date or time; UTC unless it names a zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{option}: {text!r} is not an ISO 8601 date or time "
            "(e.g. 2026-01-15 or 2026-01-15T08:00:00+01:00)"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
