"""Which servers were crawled when: a sample or a crawl error is one visit.

The scale-out claims are rebuilt from here after Redis lost them, and the
scale-out checker counts visits per server and interval from here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from ssop.core.models import CrawlError, MetricSample


class CrawlLogRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def visits(
        self, since: datetime, until: datetime | None = None
    ) -> set[tuple[str, datetime]]:
        """Each (server, visit time) from ``since`` (until ``until``, excluded).

        A visit that stored both a sample and an error (a df problem) is one.
        """
        out: set[tuple[str, datetime]] = set()
        for table in (MetricSample, CrawlError):
            query = select(table.server_name, table.at).where(col(table.at) >= since)
            if until is not None:
                query = query.where(col(table.at) < until)
            out |= {(name, at) for name, at in self.s.exec(query)}
        return out

    def servers_visited_since(self, since: datetime) -> set[str]:
        return {name for name, _at in self.visits(since)}
