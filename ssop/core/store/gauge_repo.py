"""Aggregate queries behind the fleet gauges a Prometheus scrape reads.

Each count is the rows the store holds plus what retention carried over
from the rows it deleted (``CounterRepo``), so it only ever grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ssop.core.lifecycle import PENDING_APPROVAL
from ssop.core.models import (
    AnalysisRecord,
    ApprovalRequest,
    AutomationState,
    CrawlError,
    Execution,
    MetricSample,
    Server,
)
from ssop.core.models.execution import ExecutionStatus
from ssop.core.store.counter_repo import (
    CRAWL_FAILURES,
    EXECUTIONS,
    LLM_CALLS,
    CounterRepo,
    Labels,
)

LLM_ANALYZER = "llm"
# An execution is counted once, under the status it ends in: counting the
# in-flight ones would make {status="running"} fall as they finish.
FINISHED = tuple(s.value for s in ExecutionStatus if s.finished)


class GaugeRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def enabled_servers(self) -> list[str]:
        query = select(Server.name).where(col(Server.enabled).is_(True))
        return list(self.s.exec(query.order_by(col(Server.name))))

    def last_samples(self) -> dict[str, datetime]:
        query = select(MetricSample.server_name, func.max(MetricSample.at))
        return dict(self.s.exec(query.group_by(col(MetricSample.server_name))).all())

    def last_errors(self) -> dict[str, datetime]:
        query = select(CrawlError.server_name, func.max(CrawlError.at))
        return dict(self.s.exec(query.group_by(col(CrawlError.server_name))).all())

    def crawl_failures(self) -> list[tuple[str, str, int]]:
        """(server, cause, count) of every failed crawl, pruned or not."""
        query = select(CrawlError.server_name, CrawlError.cause, func.count())
        grouped = query.group_by(col(CrawlError.server_name), col(CrawlError.cause))
        live = (((a, b), int(n)) for a, b, n in self.s.exec(grouped))
        return [(a, b, n) for (a, b), n in self._with_carried(CRAWL_FAILURES, live)]

    def pending_approvals(self) -> int:
        query = select(func.count()).select_from(ApprovalRequest)
        query = query.where(ApprovalRequest.status == PENDING_APPROVAL)
        return int(self.s.exec(query).one())

    def automation(self) -> AutomationState | None:
        return self.s.get(AutomationState, 1)

    def executions(self) -> list[tuple[str, str, int]]:
        """(status, trigger, count) of the finished executions."""
        query = select(Execution.status, Execution.trigger, func.count())
        query = query.where(col(Execution.status).in_(FINISHED))
        grouped = query.group_by(col(Execution.status), col(Execution.trigger))
        live = (((a, b), int(n)) for a, b, n in self.s.exec(grouped))
        return [(a, b, n) for (a, b), n in self._with_carried(EXECUTIONS, live)]

    def llm_calls(self) -> list[tuple[str, int]]:
        """(outcome, count): "ok" when the model answered, else its error kind."""
        asked = or_(
            col(AnalysisRecord.analyzer) == LLM_ANALYZER,
            col(AnalysisRecord.llm_error).is_not(None),
        )
        query = select(AnalysisRecord.llm_error, func.count()).where(asked)
        grouped = query.group_by(col(AnalysisRecord.llm_error))
        live = (((error or "ok", ""), int(n)) for error, n in self.s.exec(grouped))
        return [(a, n) for (a, _), n in self._with_carried(LLM_CALLS, live)]

    def _with_carried(
        self, metric: str, live: Iterable[tuple[Labels, int]]
    ) -> list[tuple[Labels, int]]:
        total = Counter(CounterRepo(self.s).carried(metric))
        for labels, n in live:
            total[labels] += n
        return sorted(total.items())
