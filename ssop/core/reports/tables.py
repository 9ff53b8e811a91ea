"""What a report is made of: named tables of plain values, and the report.

Column names are stable: scripts and spreadsheets read them (the README
lists every one). Values are int, float, str, datetime or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ssop.core.reports.window import Window

Value = int | float | str | datetime | None


@dataclass(frozen=True)
class ReportTable:
    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    series: bool = False  # one row per time bucket: drawn as a chart too

    def records(self) -> list[dict[str, Value]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass(frozen=True)
class Report:
    name: str
    window: Window
    servers: tuple[str, ...] | None
    tag: str | None
    generated_at: datetime
    tables: tuple[ReportTable, ...]
    notes: tuple[str, ...] = ()

    def table(self, name: str) -> ReportTable:
        from ssop.core.errors import InvalidInput

        for t in self.tables:
            if t.name == name:
                return t
        names = ", ".join(t.name for t in self.tables)
        raise InvalidInput(f"report {self.name} has no table {name!r} ({names})")


def table(
    name: str, columns: Sequence[str], rows: Sequence[Sequence[Value]]
) -> ReportTable:
    return ReportTable(name, tuple(columns), tuple(tuple(r) for r in rows))


def series(
    name: str, columns: Sequence[str], rows: Sequence[Sequence[Value]]
) -> ReportTable:
    return ReportTable(name, tuple(columns), tuple(tuple(r) for r in rows), True)


def n(value: Any) -> int:
    """A count from SQL (MariaDB sums are decimals)."""
    return 0 if value is None else int(value)


def mean(value: Any, places: int = 2) -> float | None:
    """An average from SQL, rounded so both databases print the same."""
    if value is None:
        return None
    return round(float(value) if isinstance(value, Decimal) else value, places)


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent (one decimal); None when whole is 0."""
    return None if whole == 0 else round(100.0 * part / whole, 1)
