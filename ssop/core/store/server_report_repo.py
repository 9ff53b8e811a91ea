"""The servers report's aggregates: one grouped pass per table, by server.

Each table is grouped on its own and the results meet by server name, so
no row is counted through another table's rows (no fan-out join).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.models import (
    AnalysisRecord,
    ApprovalRequest,
    CrawlError,
    Execution,
    MetricSample,
    Server,
)
from ssop.core.store.report_scope import Rows, Scope, count_if, plain

RISKS = ("low", "medium", "high")


class ServerReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def names(self, scope: Scope) -> list[str]:
        query = select(col(Server.name)).order_by(col(Server.name))
        if scope.servers is not None:
            query = query.where(col(Server.name).in_(list(scope.servers)))
        return [str(n) for n in self.s.execute(query).scalars()]

    def samples(self, scope: Scope) -> Rows:
        """(server, readings, last at, cpu mean/max, memory mean/max,
        disk mean/max, load mean)."""
        m = MetricSample
        query = select(
            col(m.server_name),
            func.count(),
            func.max(m.at),
            func.avg(m.cpu_percent),
            func.max(m.cpu_percent),
            func.avg(m.memory_percent),
            func.max(m.memory_percent),
            func.avg(m.disk_max_percent),
            func.max(m.disk_max_percent),
            func.avg(m.load1),
        ).where(*scope.where(col(m.at), col(m.server_name)))
        return plain(self.s.execute(query.group_by(col(m.server_name))))

    def crawl_errors(self, scope: Scope) -> Rows:
        """(server, failures, last at)."""
        e = CrawlError
        query = select(col(e.server_name), func.count(), func.max(e.at)).where(
            *scope.where(col(e.at), col(e.server_name))
        )
        return plain(self.s.execute(query.group_by(col(e.server_name))))

    def executions(self, scope: Scope) -> Rows:
        """(server, executions)."""
        x = Execution
        query = select(col(x.server_name), func.count()).where(
            *scope.where(col(x.started_at), col(x.server_name))
        )
        return plain(self.s.execute(query.group_by(col(x.server_name))))

    def analyses(self, scope: Scope) -> Rows:
        """(server, low, medium, high)."""
        a = AnalysisRecord
        risks = [count_if(col(a.risk) == r) for r in RISKS]
        query = select(col(a.server_name), *risks).where(
            *scope.where(col(a.at), col(a.server_name))
        )
        return plain(self.s.execute(query.group_by(col(a.server_name))))

    def open_approvals(self, scope: Scope) -> Rows:
        """(server, pending approvals) now, whenever they were asked for."""
        r = ApprovalRequest
        query = select(col(r.server_name), func.count()).where(
            col(r.status) == lifecycle.PENDING_APPROVAL
        )
        if scope.servers is not None:
            query = query.where(col(r.server_name).in_(list(scope.servers)))
        return plain(self.s.execute(query.group_by(col(r.server_name))))
