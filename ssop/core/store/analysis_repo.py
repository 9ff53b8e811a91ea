"""Queries on analyses, their recommendations, and recorded error events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from ssop.core.errors import NotFound
from ssop.core.models import AnalysisRecord, ErrorEvent, RecommendationRecord
from ssop.core.store import day_counts


class AnalysisRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self, record: AnalysisRecord, recommendations: Sequence[RecommendationRecord]
    ) -> AnalysisRecord:
        self.s.add(record)
        self.s.flush()
        for rec in recommendations:
            rec.analysis_id = record.id or 0
            self.s.add(rec)
        self.s.flush()
        day_counts.add_analysis(self.s, record, recommendations)
        return record

    def get(self, analysis_id: int) -> AnalysisRecord:
        record = self.s.get(AnalysisRecord, analysis_id)
        if record is None:
            raise NotFound(
                f"no analysis #{analysis_id}", hint="see: ssop analysis list"
            )
        return record

    def latest(self, server: str) -> AnalysisRecord | None:
        newest = self.recent(server, 1)
        return newest[0] if newest else None

    def recent(self, server: str, limit: int) -> list[AnalysisRecord]:
        """The newest ``limit`` analyses of ``server``, newest first."""
        query = (
            select(AnalysisRecord)
            .where(AnalysisRecord.server_name == server)
            .order_by(col(AnalysisRecord.at).desc(), col(AnalysisRecord.id).desc())
            .limit(limit)
        )
        return list(self.s.exec(query))

    def search(
        self, server: str | None, risks: Sequence[str], limit: int
    ) -> list[AnalysisRecord]:
        query = select(AnalysisRecord)
        if server is not None:
            query = query.where(AnalysisRecord.server_name == server)
        if risks:
            query = query.where(col(AnalysisRecord.risk).in_(list(risks)))
        query = query.order_by(
            col(AnalysisRecord.at).desc(), col(AnalysisRecord.id).desc()
        ).limit(limit)
        return list(self.s.exec(query))

    def recommendations(
        self, analysis_ids: Sequence[int]
    ) -> list[RecommendationRecord]:
        if not analysis_ids:
            return []
        query = (
            select(RecommendationRecord)
            .where(col(RecommendationRecord.analysis_id).in_(list(analysis_ids)))
            .order_by(col(RecommendationRecord.id))
        )
        return list(self.s.exec(query))

    def recommendations_from(
        self, first_analysis_id: int | None, not_before: datetime, limit: int = 500
    ) -> list[tuple[RecommendationRecord, AnalysisRecord]]:
        """Recommendations of analyses from ``first_analysis_id`` on (inclusive),
        no older than ``not_before``, oldest analysis first."""
        query = (
            select(RecommendationRecord, AnalysisRecord)
            .join(
                AnalysisRecord,
                col(AnalysisRecord.id) == col(RecommendationRecord.analysis_id),
            )
            .where(col(AnalysisRecord.at) >= not_before)
        )
        if first_analysis_id is not None:
            query = query.where(col(AnalysisRecord.id) >= first_analysis_id)
        query = query.order_by(
            col(AnalysisRecord.id), col(RecommendationRecord.id)
        ).limit(limit)
        return [(rec, analysis) for rec, analysis in self.s.exec(query)]


class ErrorEventRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, event: ErrorEvent) -> ErrorEvent:
        self.s.add(event)
        self.s.flush()
        return event

    def recent(
        self,
        source: str | None = None,
        server: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[ErrorEvent]:
        """Newest first, filtered by exact source and server."""
        query = select(ErrorEvent)
        if source is not None:
            query = query.where(ErrorEvent.source == source)
        if server is not None:
            query = query.where(ErrorEvent.server_name == server)
        if since is not None:
            query = query.where(ErrorEvent.at >= since)
        query = query.order_by(col(ErrorEvent.at).desc(), col(ErrorEvent.id).desc())
        return list(self.s.exec(query.limit(limit)))
