"""What every report query shares: the window, the servers, counting in SQL.

Reports aggregate in SQL over the whole window, one pass per table, with
conditional sums (``SUM(CASE WHEN ... THEN 1 ELSE 0 END)``) instead of one
query per figure. Expressions are dialect-neutral so SQLite and MariaDB
return the same numbers: time buckets are prefixes of the stored time's
text (``YYYY-MM-DD HH``), which both render alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func
from sqlalchemy.sql.elements import ColumnClause

BUCKET_CHARS = {"hour": 13, "day": 10}
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Scope:
    """[since, until) and, when not None, only these servers."""

    since: datetime
    until: datetime
    servers: tuple[str, ...] | None = None

    def where(self, at: Any, server: Any) -> list[ColumnElement[bool]]:
        """The conditions that keep a table's rows to the scope."""
        out: list[ColumnElement[bool]] = [at >= self.since, at < self.until]
        if self.servers is not None:
            out.append(server.in_(list(self.servers)))
        return out


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """How many rows meet ``condition``; 0 (not NULL) over no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def bucket_of(at: ColumnClause[Any] | Any, bucket: str) -> ColumnElement[str]:
    """The UTC hour (``YYYY-MM-DD HH``) or day (``YYYY-MM-DD``) of ``at``."""
    return func.substr(cast(at, String), 1, BUCKET_CHARS[bucket])


def plain(rows: Iterable[Any]) -> Rows:
    """Result rows as plain tuples."""
    return [tuple(r) for r in rows]
