"""The servers report's aggregates: one grouped pass per table, by server.

Each table is grouped on its own and the results meet by server name, so
no row is counted through another table's rows (no fan-out join).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.models import (
    AnalysisRecord,
    ApprovalRequest,
    CrawlError,
    Execution,
    Server,
)
from ssop.core.store.metric_hours import sample_totals
from ssop.core.store.report_scope import Rows, Scope, count_if, plain

RISKS = ("low", "medium", "high")


class ServerReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def names(self, scope: Scope) -> list[str]:
        query = select(col(Server.name)).order_by(col(Server.name))
        query = query.where(*scope.on_servers(col(Server.name)))
        return [str(n) for n in self.s.execute(query).scalars()]

    def samples(self, scope: Scope) -> Rows:
        """(server, readings, last at, cpu mean/max, memory mean/max,
        disk mean/max, load mean): whole days and hours from their sums, the
        partial edge hours from the raw samples."""
        out: Rows = []
        for name, t in sample_totals(
            self.s, scope.since, scope.until, scope.servers
        ).items():
            values: list[Any] = [name, t.samples, t.last_at]
            for what in ("cpu", "memory", "disk"):
                values += [t.mean(what), t.maxes[what]]
            out.append((*values, t.mean("load")))
        return out

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
        query = query.where(*scope.on_servers(col(r.server_name)))
        return plain(self.s.execute(query.group_by(col(r.server_name))))
