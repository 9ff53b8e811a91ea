"""Analyses, the recommendations they made, and errors worth reporting.

An analysis row is what one analyser concluded about one server at one
time; each recommendation row is one piece of advice with its verdict
(accepted or rejected by the guard, and why). Policy decisions and
approvals reference recommendation ids. ``error_events`` is generic: any
component records failures there that reports aggregate with crawl errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, Index
from sqlmodel import Field, SQLModel

from ssop.core.models.types import BigId, JsonColumn, LongText, UtcDateTime, utcnow


class AnalysisRecord(SQLModel, table=True):
    __tablename__ = "analyses"
    __table_args__ = (
        Index("ix_analyses_server_at", "server_name", "at"),
        Index("ix_analyses_server_id", "server_name", "id"),
        Index(
            "ix_analyses_at_cover",
            "at",
            "server_name",
            "analyzer",
            "risk",
            "confidence",
            "risk_disagreement",
            "llm_error",
            "tokens_prompt",
            "tokens_completion",
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    server_name: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    # "rules" or "llm"; model holds the model's name when one answered.
    analyzer: str = Field(max_length=16)
    model: str | None = Field(default=None, max_length=128)
    actor: str = Field(default="", max_length=80)
    summary: str = Field(default="", sa_type=LongText)
    reasoning: str = Field(default="", sa_type=LongText)
    risk: str = Field(max_length=10, index=True)
    confidence: float = Field(default=0.0, sa_type=Double)
    # The model's own risk, kept as advice; disagreement: it differs from risk.
    model_risk: str | None = Field(default=None, max_length=10)
    risk_disagreement: bool = False
    # Why the model was asked and failed (error kind) when the rules stood in.
    llm_error: str | None = Field(default=None, max_length=32)
    prompt_hash: str | None = Field(default=None, max_length=64)
    prompt: str | None = Field(default=None, sa_type=LongText)  # redacted
    tokens_prompt: int | None = None
    tokens_completion: int | None = None
    digest: str = Field(default="", max_length=64, index=True)


class RecommendationRecord(SQLModel, table=True):
    __tablename__ = "recommendations"
    __table_args__ = (
        Index("ix_recommendations_server_at", "server_name", "at"),
        Index("ix_recommendations_status_at", "status", "at"),
        # the ai report's edges: a time range read from the index alone
        Index(
            "ix_recommendations_at_cover", "at", "server_name", "status", "reject_code"
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    analysis_id: int = Field(
        sa_type=BigId,
        foreign_key="analyses.id",
        ondelete="CASCADE",
        index=True,
    )
    server_name: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    source: str = Field(max_length=10)  # "rules" | "model"
    action_name: str = Field(max_length=64)
    # Accepted: the validated values as text; rejected: what was proposed (capped).
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    reason: str = Field(default="", sa_type=LongText)
    priority: int = 1
    intrinsic_risk: str | None = Field(default=None, max_length=10)
    rule_risk: str | None = Field(default=None, max_length=10)
    model_risk: str | None = Field(default=None, max_length=10)
    effective_risk: str = Field(max_length=10)
    # The confidence of the source that made it: a detector's (held of the
    # window), or the model's for the model's own advice, never raised by it.
    confidence: float | None = Field(default=None, sa_type=Double)
    # Made by the model alone: no detector recommended this action with these
    # parameters, so policy never runs it without a human (gate uncorroborated).
    model_only: bool = False
    status: str = Field(max_length=10)  # "accepted" | "rejected"
    reject_reason: str = Field(default="", sa_type=LongText)
    # What kind of rejection (a RejectCode), to count by: the reason is free text.
    reject_code: str = Field(default="", max_length=32)
    # What the advice relied on (unit seen failed, process seen running, the
    # sample it was seen in), so an executor can re-check before running.
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)


class ErrorEvent(SQLModel, table=True):
    """A failure some component recorded (not a crawl failure: see crawl_errors)."""

    __tablename__ = "error_events"
    __table_args__ = (Index("ix_error_events_source_at", "source", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    source: str = Field(max_length=32)  # e.g. "analysis"
    server_name: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32, index=True)  # e.g. "llm_timeout"
    message: str = Field(default="", sa_type=LongText)
