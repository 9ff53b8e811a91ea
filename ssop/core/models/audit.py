"""The audit trail: who did what, when, to what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from ssop.core.models.types import BigId, LongText, UtcDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_event_target_at", "event", "target", "at"),
        Index("ix_audit_events_ok_at", "ok", "at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor: str = Field(max_length=80)
    event: str = Field(max_length=64)
    target: str = Field(default="", max_length=255)
    detail: str = Field(default="", sa_type=LongText)
    ok: bool = True
    # ok | denied | refused | conflict | failed (ssop.core.audit.AuditOutcome)
    outcome: str = Field(
        default="ok", max_length=16, sa_column_kwargs={"server_default": "ok"}
    )
