"""Read-only queries on what happened to a server: readings, failed crawls, runs.

The analysis reads these; the crawl and the executor write them elsewhere.
Every method returns rows oldest first.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from ssop.core.models import CrawlError, Execution, MetricSample

# However long the flapping window, one analysis never reads more than this.
MAX_SAMPLES = 500


class HistoryRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def samples(
        self, server: str, since: datetime, at_least: int, limit: int = MAX_SAMPLES
    ) -> list[MetricSample]:
        """Readings taken since ``since``, never fewer than the last ``at_least``."""
        newest_first = (
            select(MetricSample)
            .where(MetricSample.server_name == server)
            .order_by(col(MetricSample.at).desc(), col(MetricSample.id).desc())
        )
        rows = list(
            self.s.exec(newest_first.where(MetricSample.at >= since).limit(limit))
        )
        if len(rows) < at_least:
            rows = list(self.s.exec(newest_first.limit(at_least)))
        return rows[::-1]

    def crawl_errors(
        self, server: str, since: datetime, limit: int = MAX_SAMPLES
    ) -> list[CrawlError]:
        query = (
            select(CrawlError)
            .where(CrawlError.server_name == server, CrawlError.at >= since)
            .order_by(col(CrawlError.at).desc(), col(CrawlError.id).desc())
            .limit(limit)
        )
        return list(self.s.exec(query))[::-1]

    def executions(
        self, server: str, since: datetime, limit: int = MAX_SAMPLES
    ) -> list[Execution]:
        query = (
            select(Execution)
            .where(Execution.server_name == server, Execution.started_at >= since)
            .order_by(col(Execution.started_at).desc(), col(Execution.id).desc())
            .limit(limit)
        )
        return list(self.s.exec(query))[::-1]
