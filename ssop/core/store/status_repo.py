"""What ``ssop status`` reads: each server's newest sample, crawl error and
analysis, and its pending approvals.

A handful of statements whatever the fleet size: the newest ids come from
correlated subqueries, one index dive per server on the ``(server_name,
id)`` indexes, then the rows are read by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.models import (
    AnalysisRecord,
    ApprovalRequest,
    CrawlError,
    MetricSample,
    Server,
    ServerTag,
)


@dataclass(frozen=True)
class LastSample:
    at: datetime
    cpu_percent: float | None
    memory_percent: float | None
    disk_max_percent: float | None
    load1: float | None
    cpu_count: int | None
    failed_unit_count: int | None


@dataclass(frozen=True)
class LastError:
    at: datetime
    cause: str


@dataclass(frozen=True)
class ServerLatest:
    """One server with the newest of everything ``status`` shows."""

    name: str
    tags: tuple[str, ...]
    sample: LastSample | None
    error: LastError | None
    risk: str | None
    open_approvals: int


class StatusRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def latest(self, tag: str | None = None) -> list[ServerLatest]:
        """Enabled servers (with ``tag``, only those), by name."""
        newest = self._newest_ids(tag)
        samples = self._samples([i for _, i, _, _ in newest if i is not None])
        errors = self._errors([i for _, _, i, _ in newest if i is not None])
        risks = self._risks([i for _, _, _, i in newest if i is not None])
        tags, pending = self._tags(), self._pending()
        return [
            ServerLatest(
                name=name,
                tags=tuple(tags.get(name, ())),
                sample=samples.get(sample_id or 0),
                error=errors.get(error_id or 0),
                risk=risks.get(analysis_id or 0),
                open_approvals=pending.get(name, 0),
            )
            for name, sample_id, error_id, analysis_id in newest
        ]

    def _newest_ids(
        self, tag: str | None
    ) -> list[tuple[str, int | None, int | None, int | None]]:
        def newest(
            table: type[MetricSample | CrawlError | AnalysisRecord],
        ) -> ScalarSelect[int]:
            # ORDER BY id DESC LIMIT 1 reads one index entry where MAX(id)
            # in a dependent subquery reads them all; MariaDB's estimates pick
            # the (server_name, at) index unless told, and it cannot serve it.
            hint = f"FORCE INDEX (ix_{table.__tablename__}_server_id)"
            query = (
                select(col(table.id))
                .where(col(table.server_name) == col(Server.name))
                .order_by(col(table.id).desc())
                .limit(1)
                .correlate(Server)
            )
            for dialect in ("mysql", "mariadb"):
                query = query.with_hint(table, hint, dialect_name=dialect)
            return query.scalar_subquery()

        query = select(
            col(Server.name),
            newest(MetricSample),
            newest(CrawlError),
            newest(AnalysisRecord),
        ).where(col(Server.enabled).is_(True))
        if tag:
            query = query.join(ServerTag).where(col(ServerTag.tag) == tag)
        rows = self.s.execute(query.order_by(col(Server.name)))
        return [(str(n), _id(a), _id(b), _id(c)) for n, a, b, c in rows]

    def _samples(self, ids: Sequence[int]) -> dict[int, LastSample]:
        if not ids:
            return {}
        m = MetricSample
        query = select(
            col(m.id),
            col(m.at),
            col(m.cpu_percent),
            col(m.memory_percent),
            col(m.disk_max_percent),
            col(m.load1),
            col(m.cpu_count),
            col(m.failed_unit_count),
        ).where(col(m.id).in_(list(ids)))
        return {int(i): LastSample(*rest) for i, *rest in self.s.execute(query)}

    def _errors(self, ids: Sequence[int]) -> dict[int, LastError]:
        if not ids:
            return {}
        query = select(col(CrawlError.id), col(CrawlError.at), col(CrawlError.cause))
        rows = self.s.execute(query.where(col(CrawlError.id).in_(list(ids))))
        return {int(i): LastError(at, cause) for i, at, cause in rows}

    def _risks(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        query = select(col(AnalysisRecord.id), col(AnalysisRecord.risk))
        rows = self.s.execute(query.where(col(AnalysisRecord.id).in_(list(ids))))
        return {int(i): risk for i, risk in rows}

    def _tags(self) -> dict[str, list[str]]:
        query = select(col(Server.name), col(ServerTag.tag)).join(
            ServerTag, col(ServerTag.server_id) == col(Server.id)
        )
        out: dict[str, list[str]] = {}
        for name, tag in self.s.execute(query.order_by(col(ServerTag.tag))):
            out.setdefault(name, []).append(tag)
        return out

    def _pending(self) -> dict[str, int]:
        a = ApprovalRequest
        query = (
            select(col(a.server_name), func.count())
            .where(col(a.status) == lifecycle.PENDING_APPROVAL)
            .group_by(col(a.server_name))
        )
        return {name: int(n) for name, n in self.s.execute(query)}


def _id(value: object) -> int | None:
    return None if value is None else int(str(value))
