"""One parser for every duration a user types."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ssop.core.durations import YEAR, is_duration, parse_duration
from ssop.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("2w", 1209600)],
)
def test_units(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(seconds=expected)
    assert is_duration(text)


@pytest.mark.parametrize("text", ["", "30", "d", "-1d", "1y", "0s", "1.5h", "7 d x"])
def test_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


def test_bounds() -> None:
    with pytest.raises(InvalidInput, match="at least"):
        parse_duration("30s", at_least=timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="366d"):
        parse_duration("999999w", at_most=YEAR)
