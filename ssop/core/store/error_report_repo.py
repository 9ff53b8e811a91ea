"""The errors report's aggregates: failed executions and crawl failures,
grouped by cause, action and server with their first and last occurrence."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.models import CrawlError, Execution
from ssop.core.store.report_scope import Rows, Scope, plain

FAILED = (lifecycle.FAILED, lifecycle.TIMED_OUT, lifecycle.UNKNOWN)


class ErrorReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def executions(self, scope: Scope) -> Rows:
        """(status, action, server, count, first at, last at)."""
        x = Execution
        keys = (col(x.status), col(x.action_name), col(x.server_name))
        query = select(
            *keys, func.count(), func.min(x.started_at), func.max(x.started_at)
        ).where(
            *scope.where(col(x.started_at), col(x.server_name)),
            col(x.status).in_(FAILED),
        )
        return plain(self.s.execute(query.group_by(*keys)))

    def crawls(self, scope: Scope) -> Rows:
        """(cause, server, count, first at, last at)."""
        e = CrawlError
        keys = (col(e.cause), col(e.server_name))
        query = select(*keys, func.count(), func.min(e.at), func.max(e.at)).where(
            *scope.where(col(e.at), col(e.server_name))
        )
        return plain(self.s.execute(query.group_by(*keys)))
