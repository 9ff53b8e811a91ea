"""Policy state: decisions, remediation requests, windows, switches, verifications.

``ApprovalRequest`` is the one state machine every remediation goes through,
automatic ones included (they start at ``claimed``), so "exactly once" rests
on one conditional update and one unique key (``open_key``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Double, Index
from sqlmodel import Field, SQLModel

from ssop.core.models.types import BigId, JsonColumn, LongText, UtcDateTime, utcnow


class PolicyDecision(SQLModel, table=True):
    """What policy decided about one recommendation, and the gate that decided."""

    __tablename__ = "policy_decisions"
    __table_args__ = (
        Index(
            "ix_policy_decisions_server_action_at", "server_name", "action_name", "at"
        ),
        Index("ix_policy_decisions_outcome_at", "outcome", "at"),
        # the ai report: a time range read from the index alone
        Index("ix_policy_decisions_at_cover", "at", "server_name", "outcome", "gate"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    analysis_id: int | None = Field(default=None, index=True)
    recommendation_id: int | None = Field(default=None, index=True)
    server_name: str = Field(max_length=64)
    action_name: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    params_key: str = Field(max_length=64)
    effective_risk: str = Field(default="", max_length=10)
    confidence: float | None = Field(default=None, sa_type=Double)
    # executed | queued | blocked | shadow | dropped
    outcome: str = Field(max_length=16)
    gate: str = Field(max_length=32)
    detail: str = Field(default="", sa_type=LongText)
    execution_id: int | None = Field(default=None, sa_type=BigInteger)
    request_id: int | None = None


class ApprovalRequest(SQLModel, table=True):
    """A remediation on its way from proposed to done, with its evidence pinned."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        Index("ix_approval_requests_status_created", "status", "created_at"),
        Index("ix_approval_requests_server_created", "server_name", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(max_length=20)
    # a Trigger (core/lifecycle.py): auto | policy | manual
    trigger: str = Field(max_length=10)
    server_name: str = Field(max_length=64)
    action_name: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    params_key: str = Field(max_length=64)
    command: str = Field(default="", sa_type=LongText)
    # Hash of the action spec the command came from: a changed action is not run.
    spec_hash: str = Field(max_length=64)
    analysis_id: int | None = None
    recommendation_id: int | None = None
    reasoning: str = Field(default="", sa_type=LongText)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    effective_risk: str = Field(max_length=10)
    confidence: float | None = Field(default=None, sa_type=Double)
    gate: str = Field(default="", max_length=32)
    requested_by: str = Field(max_length=80)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    comment: str = Field(default="", sa_type=LongText)
    claimed_by: str | None = Field(default=None, max_length=160)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_reason: str = Field(default="", sa_type=LongText)
    execution_id: int | None = Field(default=None, sa_type=BigInteger)
    version: int = 1
    # server|action|params_key while the request is open, NULL once closed:
    # the unique index allows one open request per change (NULLs never clash).
    open_key: str | None = Field(default=None, max_length=200, unique=True)


class MaintenanceWindow(SQLModel, table=True):
    """A time when policy leaves a server (or '*', every server) alone."""

    __tablename__ = "maintenance_windows"

    id: int | None = Field(default=None, primary_key=True)
    server_name: str = Field(max_length=64, index=True)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime, index=True)
    reason: str = Field(default="", max_length=255)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AutomationState(SQLModel, table=True):
    """The single row of switches: the kill switch and shadow-mode overrides.

    Its row is also the lock that serialises policy decisions: each decision
    begins by bumping ``seq``.
    """

    __tablename__ = "automation_state"

    id: int = Field(default=1, primary_key=True)
    paused: bool = False
    paused_by: str | None = Field(default=None, max_length=80)
    paused_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reason: str = Field(default="", max_length=255)
    # live | shadow, overriding policy.mode; NULL follows the settings
    mode: str | None = Field(default=None, max_length=10)
    # servers promoted to live one by one although policy.shadow_servers lists them
    live_servers: list[str] = Field(default_factory=list, sa_type=JsonColumn)
    seq: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Verification(SQLModel, table=True):
    """Whether the condition a change was meant to clear did clear."""

    __tablename__ = "verifications"
    __table_args__ = (
        Index("ix_verifications_server_action", "server_name", "action_name"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    execution_id: int = Field(index=True, sa_type=BigInteger)
    request_id: int | None = None
    server_name: str = Field(max_length=64)
    action_name: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    # what was seen before the change, to compare against (disk use, ...)
    baseline: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    checked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cleared: bool | None = None
    detail: str = Field(default="", sa_type=LongText)


class AutoDemotion(SQLModel, table=True):
    """An action that lost automatic execution on a server until re-enabled."""

    __tablename__ = "auto_demotions"
    __table_args__ = (
        Index("ix_auto_demotions_server_action", "server_name", "action_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    server_name: str = Field(max_length=64)
    action_name: str = Field(max_length=64)
    since: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    reason: str = Field(default="", sa_type=LongText)
    cleared_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cleared_by: str | None = Field(default=None, max_length=80)
