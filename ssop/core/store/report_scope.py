"""What every report query shares: the window, the servers, counting in SQL.

Reports aggregate in SQL over the whole window, one pass per table, with
conditional sums (``SUM(CASE WHEN ... THEN 1 ELSE 0 END)``) instead of one
query per figure. Expressions are dialect-neutral so SQLite and MariaDB
return the same numbers. Time buckets group on the date and the hour as
numbers (``DATE(at)``, ``EXTRACT(HOUR FROM at)``): MariaDB groups those far
faster than text, and both databases compute them alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, extract, func, or_
from sqlalchemy.sql.elements import ColumnClause

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Scope:
    """[since, until) and, when not None, only these servers."""

    since: datetime
    until: datetime
    servers: tuple[str, ...] | None = None

    def where(self, at: Any, server: Any) -> list[ColumnElement[bool]]:
        """The conditions that keep a table's rows to the scope."""
        return [at >= self.since, at < self.until, *self.on_servers(server)]

    def on_servers(self, server: Any) -> list[ColumnElement[bool]]:
        """The condition that keeps a table's rows to the scope's servers
        (none when every server is asked)."""
        return [] if self.servers is None else [server.in_(list(self.servers))]


def within(at: Any, spans: Sequence[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    """``at`` in any of the [start, end) ``spans``."""
    return or_(*(and_(at >= a, at < b) for a, b in spans))


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """How many rows meet ``condition``; 0 (not NULL) over no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def bucket_of(at: ColumnClause[Any] | Any, bucket: str) -> list[ColumnElement[Any]]:
    """The keys of ``at``'s UTC bucket: its date, and its hour for hourly ones."""
    keys: list[ColumnElement[Any]] = [func.date(at).label("bucket_day")]
    if bucket == "hour":
        keys.append(extract("hour", at).label("bucket_hour"))
    return keys


def bucket_name(row: Sequence[Any], bucket: str) -> tuple[str, int]:
    """The bucket's label (``YYYY-MM-DD HH:00`` or ``YYYY-MM-DD``) from the
    leading keys of ``row``, and how many keys it took."""
    day = str(row[0])
    if bucket == "hour":
        return f"{day} {int(row[1]):02d}:00", 2
    return day, 1


def plain(rows: Iterable[Any]) -> Rows:
    """Result rows as plain tuples."""
    return [tuple(r) for r in rows]
