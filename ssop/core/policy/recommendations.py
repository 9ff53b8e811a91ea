"""Stored recommendations as policy proposals: the analysis -> policy hand-off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ssop.core.actions.spec import RiskLevel
from ssop.core.clock import Clock
from ssop.core.models import AnalysisRecord, RecommendationRecord
from ssop.core.policy.ports import Proposal
from ssop.core.store.analysis_repo import AnalysisRepo
from ssop.core.store.db import SessionFactory

# Advice older than this is not acted on: the next analysis will say it again
# if it still holds, and an approval re-checks preconditions anyway.
STALE_AFTER = timedelta(hours=1)


class StoredRecommendations:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def new_proposals(self, after_analysis_id: int | None) -> Sequence[Proposal]:
        not_before = self.clock.now() - STALE_AFTER
        with self.sessions() as s:
            rows = AnalysisRepo(s).recommendations_from(after_analysis_id, not_before)
        return [proposal_of(rec, analysis) for rec, analysis in rows]


def proposal_of(rec: RecommendationRecord, analysis: AnalysisRecord) -> Proposal:
    confidence = rec.confidence if rec.confidence is not None else analysis.confidence
    rejected = (
        rec.reject_reason or "rejected by analysis"
        if rec.status != "accepted"
        else None
    )
    return Proposal(
        analysis_id=analysis.id,
        recommendation_id=rec.id,
        server=rec.server_name,
        action=rec.action_name,
        params={k: str(v) for k, v in rec.params.items()},
        effective_risk=RiskLevel(rec.effective_risk),
        confidence=float(confidence),
        reason=rec.reason,
        evidence=dict(rec.evidence),
        rejected_reason=rejected,
        model_only=rec.model_only,
    )
