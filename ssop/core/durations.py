"""Durations as people type them: ``90s``, ``30m``, ``12h``, ``7d``, ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta

from ssop.core.errors import InvalidInput

_DURATION = re.compile(r"([0-9]{1,6})([smhdw])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Keeps every ``now +/- duration`` far from datetime's year-9999 limit.
YEAR = timedelta(days=366)


def parse_duration(
    text: str,
    *,
    at_least: timedelta = timedelta(seconds=1),
    at_most: timedelta | None = None,
) -> timedelta:
    """A number and one of s, m, h, d, w, within the given bounds.

    Raises:
        InvalidInput: anything else.
    """
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise InvalidInput(
            f"invalid duration {text!r}: use a number and s, m, h, d or w (e.g. 30d)"
        )
    delta = timedelta(seconds=int(match[1]) * _SECONDS[match[2]])
    if delta < at_least or (at_most is not None and delta > at_most):
        upper = f" and {at_most.days}d" if at_most is not None else ""
        raise InvalidInput(f"duration {text!r} must be at least {at_least}{upper}")
    return delta


def is_duration(text: str) -> bool:
    return _DURATION.fullmatch(text.strip()) is not None
