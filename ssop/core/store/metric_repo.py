"""Queries on the crawl history: samples, custom outputs, crawl errors.

Writes are bulk inserts (one statement for many rows). "Latest" means the
highest id, not the latest ``at``: ids only grow, while a wall clock that
jumped back would make an older row look newer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from ssop.core.models import (
    ActionOutput,
    CrawlError,
    ErrorEvent,
    MetricSample,
    PolicyDecision,
)
from ssop.core.store import day_counts
from ssop.core.store.counter_repo import CRAWL_FAILURES, CounterRepo, Labels
from ssop.core.store.metric_hours import add_to_spans, rebuild_before

PRUNE_BATCH = 5000
Row = Mapping[str, Any]
HistoryTable = (
    type[MetricSample]
    | type[ActionOutput]
    | type[CrawlError]
    | type[ErrorEvent]
    | type[PolicyDecision]
)
# What retention applies to; the audit trail and approval requests are kept.
HISTORY_TABLES: tuple[HistoryTable, ...] = (
    MetricSample,
    ActionOutput,
    CrawlError,
    ErrorEvent,
    PolicyDecision,
)


class MetricRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_samples(self, rows: Sequence[Row]) -> list[int]:
        """Insert samples and add them to their hours and days, in the
        caller's transaction; their ids, in the order of ``rows``."""
        if not rows:
            return []
        statement = insert(MetricSample).returning(
            col(MetricSample.id), sort_by_parameter_order=True
        )
        ids = [int(i) for i in self.s.execute(statement, list(rows)).scalars()]
        add_to_spans(self.s, rows)
        return ids

    def add_outputs(self, rows: Sequence[Row]) -> None:
        if rows:
            self.s.execute(insert(ActionOutput), list(rows))

    def add_errors(self, rows: Sequence[Row]) -> None:
        if rows:
            self.s.execute(insert(CrawlError), list(rows))

    def latest(self, names: Sequence[str] = ()) -> list[MetricSample]:
        """The newest sample of each server (of ``names``, when given), by name."""
        newest = select(func.max(MetricSample.id)).group_by(
            col(MetricSample.server_name)
        )
        if names:
            newest = newest.where(col(MetricSample.server_name).in_(list(names)))
        query = (
            select(MetricSample)
            .where(col(MetricSample.id).in_(newest.scalar_subquery()))
            .order_by(col(MetricSample.server_name))
        )
        return list(self.s.exec(query))

    def last_read_at(self) -> dict[str, datetime]:
        """When each server's newest sample was taken, by server name."""
        query = select(col(MetricSample.server_name), func.max(MetricSample.at))
        rows = self.s.exec(query.group_by(col(MetricSample.server_name)))
        return {name: at for name, at in rows if at is not None}

    def last_errors(self) -> dict[str, CrawlError]:
        """Each server's newest crawl error, by server name."""
        newest = select(func.max(CrawlError.id)).group_by(col(CrawlError.server_name))
        query = select(CrawlError).where(
            col(CrawlError.id).in_(newest.scalar_subquery())
        )
        return {e.server_name: e for e in self.s.exec(query)}

    def history(
        self, name: str, since: datetime, until: datetime | None = None
    ) -> list[MetricSample]:
        """One server's samples taken in [since, until), oldest first."""
        query = select(MetricSample).where(
            MetricSample.server_name == name, col(MetricSample.at) >= since
        )
        if until is not None:
            query = query.where(col(MetricSample.at) < until)
        return list(self.s.exec(query.order_by(col(MetricSample.at))))

    def recent_cpu(self, since: datetime, per_server: int) -> dict[str, list[float]]:
        """Each server's last ``per_server`` CPU readings taken since ``since``,
        oldest first, by server name: one query for the whole fleet."""
        newest_first = (
            func.row_number()
            .over(
                partition_by=col(MetricSample.server_name),
                order_by=col(MetricSample.id).desc(),
            )
            .label("n")
        )
        recent = (
            select(
                col(MetricSample.server_name),
                col(MetricSample.id),
                col(MetricSample.cpu_percent),
                newest_first,
            )
            .where(col(MetricSample.at) >= since)
            .subquery()
        )
        query = (
            select(recent.c.server_name, recent.c.cpu_percent)
            .where(recent.c.n <= per_server, recent.c.cpu_percent.is_not(None))
            .order_by(recent.c.server_name, recent.c.id)
        )
        out: dict[str, list[float]] = {}
        for name, cpu in self.s.execute(query):
            out.setdefault(name, []).append(float(cpu))
        return out

    def errors(self, name: str | None = None, limit: int = 100) -> list[CrawlError]:
        """The newest crawl errors (of one server), newest first."""
        query = select(CrawlError).order_by(col(CrawlError.id).desc()).limit(limit)
        if name is not None:
            query = query.where(CrawlError.server_name == name)
        return list(self.s.exec(query))

    def outputs(self, name: str, limit: int = 100) -> list[ActionOutput]:
        query = (
            select(ActionOutput)
            .where(ActionOutput.server_name == name)
            .order_by(col(ActionOutput.id).desc())
            .limit(limit)
        )
        return list(self.s.exec(query))

    def prune_ids(
        self,
        table: HistoryTable,
        before: datetime,
        keep: Sequence[int] = (),
        *,
        lock: bool = False,
    ) -> list[int]:
        """Up to PRUNE_BATCH ids of ``table`` older than ``before``, not in
        ``keep``; with ``lock``, locked until the transaction ends."""
        query = select(table.id).where(col(table.at) < before)
        if keep:
            query = query.where(col(table.id).not_in(list(keep)))
        if lock:
            query = query.with_for_update()
        return [int(i) for i in self.s.exec(query.limit(PRUNE_BATCH)) if i is not None]

    def delete_ids(self, table: HistoryTable, ids: Sequence[int]) -> int:
        # MariaDB refuses a DELETE whose subquery reads the same table, so the
        # ids are selected first and deleted by value.
        result = self.s.execute(delete(table).where(col(table.id).in_(list(ids))))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def failure_counts(self, ids: Sequence[int]) -> dict[Labels, int]:
        """Crawl errors among ``ids``, counted by (server, cause)."""
        query = select(CrawlError.server_name, CrawlError.cause, func.count())
        query = query.where(col(CrawlError.id).in_(list(ids)))
        grouped = query.group_by(col(CrawlError.server_name), col(CrawlError.cause))
        return {(a, b): int(n) for a, b, n in self.s.exec(grouped)}

    def newest_sample_ids(self) -> list[int]:
        query = select(func.max(MetricSample.id)).group_by(
            col(MetricSample.server_name)
        )
        return [int(i) for i in self.s.exec(query) if i is not None]


def prune_history(sessions: Callable[[], Session], before: datetime) -> dict[str, int]:
    """Delete history rows older than ``before``, in batches; rows deleted per table.

    The newest sample of each server is kept whatever its age, so a server
    that went silent (or a wall clock that jumped ahead) never loses its
    last known reading.
    """
    with sessions() as s:
        keep = MetricRepo(s).newest_sample_ids()
    counts: dict[str, int] = {}
    for table in HISTORY_TABLES:
        kept = keep if table is MetricSample else []
        counts[str(table.__tablename__)] = _prune_table(sessions, table, before, kept)
    with sessions() as s, s.begin():
        rebuild_before(s, before)
        day_counts.rebuild_decisions_before(s, before)
    return counts


def _prune_table(
    sessions: Callable[[], Session],
    table: HistoryTable,
    before: datetime,
    keep: Sequence[int],
) -> int:
    # One short transaction per batch: a day of samples for a big fleet is
    # millions of rows, which must not hold locks for the whole prune.
    counted = table is CrawlError
    total = 0
    while True:
        with sessions() as s, s.begin():
            repo = MetricRepo(s)
            # Locked, so a prune running beside this one cannot count them too.
            ids = repo.prune_ids(table, before, keep, lock=counted)
            if not ids:
                return total
            if counted:
                # Carried in the deleting transaction: the failures counter
                # never sees the rows gone but not yet carried.
                CounterRepo(s).carry(CRAWL_FAILURES, repo.failure_counts(ids))
            total += repo.delete_ids(table, ids)
