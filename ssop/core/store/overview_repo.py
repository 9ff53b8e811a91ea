"""The overview report's aggregates: one pass over each table it reads.

Executions and analyses are counted per time bucket; the window's totals
are the sums of those buckets, so neither table is read twice. Daily buckets
of the whole fleet come from the daily counts (``day_counts``) for the
window's whole days.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.lifecycle import Trigger
from ssop.core.models import (
    AnalysisDay,
    AnalysisRecord,
    ApprovalRequest,
    CrawlError,
    Execution,
    ExecutionDay,
    Server,
    Verification,
)
from ssop.core.store.day_counts import split_days
from ssop.core.store.metric_hours import Span, sample_count
from ssop.core.store.report_scope import (
    Rows,
    Scope,
    bucket_of,
    count_if,
    plain,
    within,
)

RISKS = ("low", "medium", "high")


class OverviewRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def servers_watched(self, scope: Scope) -> int:
        query = select(func.count()).where(col(Server.enabled).is_(True))
        query = query.where(*scope.on_servers(col(Server.name)))
        return int(self.s.execute(query).scalar_one())

    def crawls(self, scope: Scope) -> tuple[int, int]:
        """(readings, crawl failures) in the scope: every crawl wrote one."""
        e = CrawlError
        ok = sample_count(self.s, scope.since, scope.until, scope.servers)
        failed = select(func.count()).where(*scope.where(col(e.at), col(e.server_name)))
        return ok, int(self.s.execute(failed).scalar_one())

    def executions_by_bucket(self, scope: Scope, bucket: str) -> Rows:
        """(bucket keys..., runs, succeeded, failed, timed_out, manual,
        automatic, approved); daily buckets of the whole fleet from the
        daily counts of the window's whole days (a bucket may come in several
        rows, to be added)."""
        days, pieces = split_days(scope.since, scope.until)
        if bucket != "day" or scope.servers is not None or days is None:
            return self._raw_executions(scope, bucket, [(scope.since, scope.until)])
        d = ExecutionDay
        keys = (col(d.start), col(d.status), col(d.trigger))
        counted = select(*keys, func.sum(d.runs)).where(
            col(d.start) >= days[0], col(d.start) < days[1]
        )
        per_day: dict[Any, list[int]] = {}
        for start, status, trigger, runs in self.s.execute(counted.group_by(*keys)):
            acc = per_day.setdefault(start.date(), [0] * 7)
            for i, hit in enumerate(_execution_flags(status, trigger)):
                acc[i] += int(runs) if hit else 0
        rows: Rows = [(day, *counts) for day, counts in per_day.items()]
        # the days count finished runs only: those in flight are read raw
        in_flight = col(Execution.status).in_(lifecycle.IN_FLIGHT)
        rows += self._raw_executions(scope, bucket, [days], in_flight)
        return rows + self._raw_executions(scope, bucket, pieces)

    def _raw_executions(
        self, scope: Scope, bucket: str, spans: list[Span], *where: Any
    ) -> Rows:
        if not spans:
            return []
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
        ).where(within(col(x.started_at), spans), *where)
        query = query.where(*scope.on_servers(col(x.server_name)))
        return plain(self.s.execute(query.group_by(*b)))

    def analyses_by_bucket(self, scope: Scope, bucket: str) -> Rows:
        """(bucket keys..., analyses, low, medium, high); daily buckets of the
        whole fleet from the daily counts of the window's whole days."""
        days, pieces = split_days(scope.since, scope.until)
        if bucket != "day" or scope.servers is not None or days is None:
            return self._raw_analyses(scope, bucket, [(scope.since, scope.until)])
        d = AnalysisDay
        keys = (col(d.start), col(d.risk))
        counted = select(*keys, func.sum(d.analyses)).where(
            col(d.start) >= days[0], col(d.start) < days[1]
        )
        per_day: dict[Any, list[int]] = {}
        for start, risk, count in self.s.execute(counted.group_by(*keys)):
            acc = per_day.setdefault(start.date(), [0] * 4)
            acc[0] += int(count)
            if risk in RISKS:
                acc[1 + RISKS.index(risk)] += int(count)
        rows: Rows = [(day, *counts) for day, counts in per_day.items()]
        return rows + self._raw_analyses(scope, bucket, pieces)

    def _raw_analyses(self, scope: Scope, bucket: str, spans: list[Span]) -> Rows:
        if not spans:
            return []
        a = AnalysisRecord
        b = bucket_of(col(a.at), bucket)
        risks = [count_if(col(a.risk) == r) for r in RISKS]
        query = select(*b, func.count(), *risks).where(within(col(a.at), spans))
        query = query.where(*scope.on_servers(col(a.server_name)))
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


def _execution_flags(status: str, trigger: str) -> tuple[bool, ...]:
    """Which of (runs, succeeded, failed, timed_out, manual, automatic,
    approved) a run of this status and trigger counts in."""
    return (
        True,
        status == lifecycle.SUCCEEDED,
        status == lifecycle.FAILED,
        status == lifecycle.TIMED_OUT,
        trigger == Trigger.MANUAL.value,
        trigger == Trigger.POLICY.value,
        trigger == Trigger.APPROVAL.value,
    )
