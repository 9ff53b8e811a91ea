"""Small formatters shared by the screens: ages, countdowns, risk colours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from ssop.tui.sanitize import plain

RISK_STYLES = {
    "none": "green",
    "low": "green",
    "medium": "yellow",
    "high": "bold red",
    "critical": "bold red",
}
STATE_STYLES = {
    "ok": "green",
    "warning": "yellow",
    "critical": "bold red",
    "unreachable": "bold magenta",
    "stale": "dim",
    "succeeded": "green",
    "failed": "bold red",
    "timed_out": "bold red",
    "running": "yellow",
}


def risk(value: str | None) -> Text:
    name = value or "-"
    return plain(name, RISK_STYLES.get(name, ""))


def state(value: str) -> Text:
    return plain(value, STATE_STYLES.get(value, ""))


def span(seconds: float) -> str:
    """``42s``, ``5m``, ``3h``, ``2d``: the largest whole unit."""
    s = int(abs(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def countdown(until: datetime, now: datetime) -> str:
    left = (until - now).total_seconds()
    return "expired" if left <= 0 else f"in {span(left)}"


def ago(when: datetime | None, now: datetime) -> str:
    return "-" if when is None else f"{span((now - when).total_seconds())} ago"


def stamp(when: datetime | None) -> str:
    return "-" if when is None else f"{when:%Y-%m-%d %H:%M}"


def short(when: datetime | None) -> str:
    """Month, day and time: enough for a table cell."""
    return "-" if when is None else f"{when:%m-%d %H:%M}"


def clock_time(when: datetime | None) -> str:
    """The time of day (UTC): it changes only when the event does, unlike an age."""
    return "-" if when is None else f"{when:%H:%M}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


SPARK_BARS = "▁▂▃▄▅▆▇█"


def spark(values: Sequence[float], width: int) -> str:
    """The last ``width`` percentages as bars on a fixed 0-100 scale, so a
    calm server's line stays low instead of magnifying its noise."""
    top = len(SPARK_BARS) - 1
    bars = "".join(
        SPARK_BARS[min(top, max(0, int(v / 100 * len(SPARK_BARS))))]
        for v in values[-width:]
    )
    return bars.rjust(width)
