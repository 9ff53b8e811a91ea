"""What the shells see of analyses: frozen values, built from rows or results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ssop.core.analysis.base import AnalysisResult, Recommendation
from ssop.core.models import AnalysisRecord, RecommendationRecord


@dataclass(kw_only=True, frozen=True)
class RecommendationView:
    id: int | None
    source: str
    action: str
    params: Mapping[str, Any]
    reason: str
    priority: int
    status: str
    reject_reason: str
    effective_risk: str
    intrinsic_risk: str | None
    rule_risk: str | None
    model_risk: str | None
    confidence: float | None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    model_only: bool = False


@dataclass(kw_only=True, frozen=True)
class AnalysisView:
    id: int | None
    server: str
    at: datetime
    analyzer: str
    model: str | None
    actor: str
    summary: str
    reasoning: str
    risk: str
    confidence: float
    model_risk: str | None
    risk_disagreement: bool
    llm_error: str | None
    prompt_hash: str | None
    tokens_prompt: int | None
    tokens_completion: int | None
    digest: str
    recommendations: tuple[RecommendationView, ...] = ()
    prompt: str | None = None

    @property
    def accepted(self) -> tuple[RecommendationView, ...]:
        return tuple(r for r in self.recommendations if r.status == "accepted")


@dataclass(frozen=True)
class AnalysisOutcome:
    """One server's analysis this cycle, and how it came about."""

    server: str
    analysis: AnalysisView
    stored: bool
    reused: bool = False
    model_called: bool = False
    model_skipped: str | None = None  # why the model was not asked
    model_error: str | None = None  # "kind: message" when it failed


@dataclass(frozen=True)
class ErrorView:
    at: datetime
    source: str
    server: str | None
    kind: str
    message: str


def rec_view(row: RecommendationRecord) -> RecommendationView:
    return RecommendationView(
        id=row.id,
        source=row.source,
        action=row.action_name,
        params=dict(row.params),
        reason=row.reason,
        priority=row.priority,
        status=row.status,
        reject_reason=row.reject_reason,
        effective_risk=row.effective_risk,
        intrinsic_risk=row.intrinsic_risk,
        rule_risk=row.rule_risk,
        model_risk=row.model_risk,
        confidence=row.confidence,
        evidence=dict(row.evidence),
        model_only=row.model_only,
    )


def analysis_view(
    row: AnalysisRecord,
    recs: Sequence[RecommendationRecord],
    with_prompt: bool = False,
) -> AnalysisView:
    return AnalysisView(
        id=row.id,
        server=row.server_name,
        at=row.at,
        analyzer=row.analyzer,
        model=row.model,
        actor=row.actor,
        summary=row.summary,
        reasoning=row.reasoning,
        risk=row.risk,
        confidence=row.confidence,
        model_risk=row.model_risk,
        risk_disagreement=row.risk_disagreement,
        llm_error=row.llm_error,
        prompt_hash=row.prompt_hash,
        tokens_prompt=row.tokens_prompt,
        tokens_completion=row.tokens_completion,
        digest=row.digest,
        recommendations=tuple(rec_view(r) for r in recs),
        prompt=row.prompt if with_prompt else None,
    )


def records_of(
    server: str,
    at: datetime,
    actor: str,
    digest: str,
    result: AnalysisResult,
    final: FinalRisk,
    recs: Sequence[Recommendation],
) -> tuple[AnalysisRecord, list[RecommendationRecord]]:
    """The rows to store for one finished analysis."""
    record = AnalysisRecord(
        server_name=server,
        at=at,
        analyzer=result.analyzer,
        model=result.model,
        actor=actor[:80],
        summary=result.summary,
        reasoning=result.reasoning,
        risk=final.risk,
        confidence=result.confidence,
        model_risk=final.model_risk,
        risk_disagreement=final.disagreement,
        llm_error=final.llm_error,
        prompt_hash=result.prompt_hash,
        prompt=result.prompt,
        tokens_prompt=result.usage.prompt_tokens,
        tokens_completion=result.usage.completion_tokens,
        digest=digest,
    )
    rows = [
        RecommendationRecord(
            analysis_id=0,
            server_name=server,
            at=at,
            source=r.source,
            action_name=r.action,
            params={k: str(v) for k, v in r.params.items()},
            reason=r.reason,
            priority=r.priority,
            intrinsic_risk=r.intrinsic_risk,
            rule_risk=r.rule_risk,
            model_risk=r.model_risk,
            effective_risk=r.effective_risk,
            confidence=result.confidence if r.confidence is None else r.confidence,
            model_only=r.model_only,
            status=r.status,
            reject_reason=r.reject_reason,
            reject_code=r.reject_code or "",
            evidence=dict(r.evidence),
        )
        for r in recs
    ]
    return record, rows


@dataclass(frozen=True)
class FinalRisk:
    """The analysis-level risk computed by code, and the model's view beside it."""

    risk: str
    model_risk: str | None = None
    disagreement: bool = False
    llm_error: str | None = None
