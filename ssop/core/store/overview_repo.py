"""The overview report's aggregates: one pass over each table it reads.

Executions and analyses are counted per time bucket; the window's totals
are the sums of those buckets, so neither table is read twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.lifecycle import Trigger
from ssop.core.models import (
    AnalysisRecord,
    ApprovalRequest,
    CrawlError,
    Execution,
    Server,
    Verification,
)
from ssop.core.store.metric_hours import sample_count
from ssop.core.store.report_scope import Rows, Scope, bucket_of, count_if, plain

RISKS = ("low", "medium", "high")


class OverviewRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def servers_watched(self, scope: Scope) -> int:
        query = select(func.count()).where(col(Server.enabled).is_(True))
        if scope.servers is not None:
            query = query.where(col(Server.name).in_(list(scope.servers)))
        return int(self.s.execute(query).scalar_one())

    def crawls(self, scope: Scope) -> tuple[int, int]:
        """(readings, crawl failures) in the scope: every crawl wrote one."""
        e = CrawlError
        ok = sample_count(self.s, scope.since, scope.until, scope.servers)
        failed = select(func.count()).where(*scope.where(col(e.at), col(e.server_name)))
        return ok, int(self.s.execute(failed).scalar_one())

    def executions_by_bucket(self, scope: Scope, bucket: str) -> Rows:
        """(bucket keys..., runs, succeeded, failed, timed_out, manual,
        automatic, approved)."""
        x = Execution
        b = bucket_of(col(x.started_at), bucket)
        status, trigger = col(x.status), col(x.trigger)
        query = select(
            *b,
            func.count(),
            count_if(status == lifecycle.SUCCEEDED),
            count_if(status == lifecycle.FAILED),
            count_if(status == lifecycle.TIMED_OUT),
            count_if(trigger == Trigger.MANUAL.value),
            count_if(trigger == Trigger.POLICY.value),
            count_if(trigger == Trigger.APPROVAL.value),
        ).where(*scope.where(col(x.started_at), col(x.server_name)))
        return plain(self.s.execute(query.group_by(*b)))

    def analyses_by_bucket(self, scope: Scope, bucket: str) -> Rows:
        """(bucket keys..., analyses, low, medium, high)."""
        a = AnalysisRecord
        b = bucket_of(col(a.at), bucket)
        risks = [count_if(col(a.risk) == r) for r in RISKS]
        query = select(*b, func.count(), *risks).where(
            *scope.where(col(a.at), col(a.server_name))
        )
        return plain(self.s.execute(query.group_by(*b)))

    def approvals(self, scope: Scope) -> tuple[Any, ...]:
        """(pending, approved, rejected, expired) of requests that asked a human."""
        r = ApprovalRequest
        status = col(r.status)
        decided = col(r.decided_by).is_not(None) & status.not_in(
            [lifecycle.REJECTED, lifecycle.EXPIRED]
        )
        query = select(
            count_if(status == lifecycle.PENDING_APPROVAL),
            count_if(decided),
            count_if(status == lifecycle.REJECTED),
            count_if(status == lifecycle.EXPIRED),
        ).where(
            *scope.where(col(r.created_at), col(r.server_name)),
            col(r.trigger) != Trigger.AUTO.value,
        )
        return tuple(self.s.execute(query).one())

    def verifications(self, scope: Scope) -> tuple[Any, ...]:
        """(checked, cleared) of the verifications made in the scope."""
        v = Verification
        query = select(
            count_if(col(v.cleared).is_not(None)), count_if(col(v.cleared).is_(True))
        ).where(*scope.where(col(v.created_at), col(v.server_name)))
        return tuple(self.s.execute(query).one())
