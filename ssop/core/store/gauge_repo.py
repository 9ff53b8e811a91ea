"""Aggregate queries behind the fleet gauges a Prometheus scrape reads."""

from __future__ import annotations

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

LLM_ANALYZER = "llm"


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
        """(server, cause, count) over the crawl errors kept."""
        query = select(CrawlError.server_name, CrawlError.cause, func.count())
        grouped = query.group_by(col(CrawlError.server_name), col(CrawlError.cause))
        return [(a, b, int(n)) for a, b, n in self.s.exec(grouped)]

    def pending_approvals(self) -> int:
        query = select(func.count()).select_from(ApprovalRequest)
        query = query.where(ApprovalRequest.status == PENDING_APPROVAL)
        return int(self.s.exec(query).one())

    def automation(self) -> AutomationState | None:
        return self.s.get(AutomationState, 1)

    def executions(self) -> list[tuple[str, str, int]]:
        """(status, trigger, count)."""
        query = select(Execution.status, Execution.trigger, func.count())
        grouped = query.group_by(col(Execution.status), col(Execution.trigger))
        return [(a, b, int(n)) for a, b, n in self.s.exec(grouped)]

    def llm_calls(self) -> list[tuple[str, int]]:
        """(outcome, count): "ok" when the model answered, else its error kind."""
        asked = or_(
            col(AnalysisRecord.analyzer) == LLM_ANALYZER,
            col(AnalysisRecord.llm_error).is_not(None),
        )
        query = select(AnalysisRecord.llm_error, func.count()).where(asked)
        grouped = query.group_by(col(AnalysisRecord.llm_error))
        return [(error or "ok", int(n)) for error, n in self.s.exec(grouped)]
