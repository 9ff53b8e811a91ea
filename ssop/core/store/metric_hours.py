"""Hourly and daily per-server sums of the samples: kept, rebuilt, read.

Every write of samples adds them to their hour and their day in the same
transaction (``add_to_spans``), so a span's row always equals the sums over
its raw samples. Reports read a window's whole days from ``metric_days``,
the whole hours left at its edges from ``metric_hours`` and the partial
hours at its very edges from the raw samples (``sample_totals``): the same
figures as over the raw rows alone, from a few rows per server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, or_, select
from sqlmodel import Session, col

from ssop.core.models import MetricDay, MetricHour, MetricSample
from ssop.core.store.portable_sql import merging_insert, truncated

Span = tuple[datetime, datetime]
SumsTable = type[MetricHour] | type[MetricDay]
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# (sample column, its name in the sums) of what the spans sum
VALUES = (
    ("cpu_percent", "cpu"),
    ("memory_percent", "memory"),
    ("disk_max_percent", "disk"),
    ("load1", "load"),
)
MAXED = ("cpu", "memory", "disk")


def floor_hour(at: datetime) -> datetime:
    """The start of ``at``'s UTC hour (``at`` aware, in any zone)."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    """The start of ``at``'s UTC day (``at`` aware, in any zone)."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_hour(at: datetime) -> datetime:
    floor = floor_hour(at)
    return floor if floor == at else floor + HOUR


def ceil_day(at: datetime) -> datetime:
    floor = floor_day(at)
    return floor if floor == at else floor + DAY


@dataclass
class Totals:
    """One server's samples in a scope: count, newest time, and per value
    its non-NULL count, sum and (cpu, memory, disk) max."""

    samples: int = 0
    last_at: datetime | None = None
    n: dict[str, int] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    maxes: dict[str, float | None] = field(default_factory=dict)

    def add(self, row: Sequence[Any]) -> None:
        """Add one result row: (samples, last_at, then per value n, sum[, max])."""
        self.samples += int(row[0] or 0)
        self.last_at = _greatest(self.last_at, row[1])
        i = 2
        for _, name in VALUES:
            self.n[name] = self.n.get(name, 0) + int(row[i] or 0)
            self.sums[name] = self.sums.get(name, 0.0) + float(row[i + 1] or 0.0)
            i += 2
            if name in MAXED:
                self.maxes[name] = _greatest(self.maxes.get(name), row[i])
                i += 1

    def mean(self, name: str) -> float | None:
        count = self.n.get(name, 0)
        return None if count == 0 else self.sums[name] / count


def _greatest(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return b if b > a else a


def add_to_spans(s: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add samples (``metric_samples`` rows) to their servers' hours and days."""
    for table, floor in ((MetricHour, floor_hour), (MetricDay, floor_day)):
        spans: dict[tuple[datetime, str], Totals] = {}
        for row in rows:
            key = (floor(row["at"]), str(row["server_name"]))
            spans.setdefault(key, Totals()).add(_one(row))
        # sorted: concurrent writers lock the rows in the same order
        values = [_span_row(k, name, t) for (k, name), t in sorted(spans.items())]
        s.execute(merging_insert(s, table, ["start", "server_name"], _merged), values)


def _one(row: Mapping[str, Any]) -> list[Any]:
    one: list[Any] = [1, row["at"]]
    for column, name in VALUES:
        value = row.get(column)
        one += [0 if value is None else 1, value]
        if name in MAXED:
            one.append(value)
    return one


def _span_row(start: datetime, server: str, t: Totals) -> dict[str, Any]:
    row: dict[str, Any] = {
        "start": start,
        "server_name": server,
        "samples": t.samples,
        "last_at": t.last_at,
    }
    for _, name in VALUES:
        row[f"{name}_n"] = t.n[name]
        row[f"{name}_sum"] = t.sums[name]
        if name in MAXED:
            row[f"{name}_max"] = t.maxes[name]
    return row


def _merged(old: Any, new: Any) -> dict[str, ColumnElement[Any]]:
    """An existing span plus the new one, column by column."""
    out: dict[str, ColumnElement[Any]] = {
        "samples": old.samples + new.samples,
        "last_at": case((new.last_at > old.last_at, new.last_at), else_=old.last_at),
    }
    for _, name in VALUES:
        out[f"{name}_n"] = old[f"{name}_n"] + new[f"{name}_n"]
        out[f"{name}_sum"] = old[f"{name}_sum"] + new[f"{name}_sum"]
        if name in MAXED:
            was, now = old[f"{name}_max"], new[f"{name}_max"]
            out[f"{name}_max"] = case(
                (now.is_(None), was), (was.is_(None), now), (now > was, now), else_=was
            )
    return out


def _raw_sums() -> list[Any]:
    m = MetricSample
    out: list[Any] = [func.count(), func.max(m.at)]
    for column, name in VALUES:
        value = getattr(m, column)
        out += [func.count(value), func.coalesce(func.sum(value), 0.0)]
        if name in MAXED:
            out.append(func.max(value))
    return out


def _span_sums(table: SumsTable) -> list[Any]:
    out: list[Any] = [func.sum(table.samples), func.max(table.last_at)]
    for _, name in VALUES:
        out += [
            func.sum(getattr(table, f"{name}_n")),
            func.sum(getattr(table, f"{name}_sum")),
        ]
        if name in MAXED:
            out.append(func.max(getattr(table, f"{name}_max")))
    return out


def rebuild_before(s: Session, before: datetime) -> None:
    """Make the hours and days that hold time before ``before`` the sums of
    the samples left there, after retention pruned some of them: the hours
    from the samples (the kept newest ones, and those after ``before`` in
    its hour), then the days from the hours."""
    m, h, d = MetricSample, MetricHour, MetricDay
    hours_cut, days_cut = ceil_hour(before), ceil_day(before)
    s.execute(delete(h).where(col(h.start) < hours_cut))
    hour = truncated(s, col(m.at), "hour")
    from_samples = (
        select(hour, col(m.server_name), *_raw_sums())
        .where(col(m.at) < hours_cut)
        .group_by(hour, col(m.server_name))
    )
    s.execute(insert(h).from_select(_sum_columns(), from_samples))
    s.execute(delete(d).where(col(d.start) < days_cut))
    day = truncated(s, col(h.start), "day")
    from_hours = (
        select(day, col(h.server_name), *_span_sums(h))
        .where(col(h.start) < days_cut)
        .group_by(day, col(h.server_name))
    )
    s.execute(insert(d).from_select(_sum_columns(), from_hours))


def _sum_columns() -> list[str]:
    names = ["start", "server_name", "samples", "last_at"]
    for _, name in VALUES:
        names += [f"{name}_n", f"{name}_sum"]
        if name in MAXED:
            names.append(f"{name}_max")
    return names


def split(
    since: datetime, until: datetime
) -> tuple[list[Span], list[Span], list[Span]]:
    """[since, until) as (whole days, whole hours, raw pieces)."""
    days: list[Span] = []
    rest = [(since, until)]
    first, last = ceil_day(since), floor_day(until)
    if first < last:
        days = [(first, last)]
        rest = [(since, first), (last, until)]
    hours: list[Span] = []
    raw: list[Span] = []
    for a, b in rest:
        first, last = ceil_hour(a), floor_hour(b)
        if first < last:
            hours.append((first, last))
            raw += [(a, first), (last, b)]
        else:
            raw.append((a, b))
    return days, hours, [(a, b) for a, b in raw if a < b]


def sample_totals(
    s: Session, since: datetime, until: datetime, servers: Sequence[str] | None
) -> dict[str, Totals]:
    """Each server's samples in [since, until) (of ``servers`` when given)."""
    days, hours, raw = split(since, until)
    m = MetricSample
    queries = [
        (
            days,
            col(MetricDay.start),
            select(col(MetricDay.server_name), *_span_sums(MetricDay)),
        ),
        (
            hours,
            col(MetricHour.start),
            select(col(MetricHour.server_name), *_span_sums(MetricHour)),
        ),
        (raw, col(m.at), select(col(m.server_name), *_raw_sums())),
    ]
    out: dict[str, Totals] = {}
    for spans, start, query in queries:
        if not spans:
            continue
        query = query.where(or_(*(and_(start >= a, start < b) for a, b in spans)))
        server = query.selected_columns[0]
        if servers is not None:
            query = query.where(server.in_(list(servers)))
        for row in s.execute(query.group_by(server)):
            out.setdefault(str(row[0]), Totals()).add(row[1:])
    return out


def sample_count(
    s: Session, since: datetime, until: datetime, servers: Sequence[str] | None
) -> int:
    """How many samples were taken in [since, until) (of ``servers``)."""
    days, hours, raw = split(since, until)
    d, h, m = MetricDay, MetricHour, MetricSample
    parts = [
        (days, col(d.start), col(d.server_name), func.sum(d.samples)),
        (hours, col(h.start), col(h.server_name), func.sum(h.samples)),
        (raw, col(m.at), col(m.server_name), func.count()),
    ]
    total = 0
    for spans, start, server, counted in parts:
        if not spans:
            continue
        query = select(counted).where(
            or_(*(and_(start >= a, start < b) for a, b in spans))
        )
        if servers is not None:
            query = query.where(server.in_(list(servers)))
        total += int(s.execute(query).scalar() or 0)
    return total
