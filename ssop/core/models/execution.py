"""Execution records: written before a command runs, completed after."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Double, Index
from sqlmodel import Field, SQLModel

from ssop.core import lifecycle
from ssop.core.models.types import BigId, JsonColumn, LongText, UtcDateTime, utcnow


class ExecutionStatus(StrEnum):
    """Where an execution stands. Only ``running`` is written before a
    command starts; the approval states come first, the outcomes after."""

    PROPOSED = "proposed"  # executions only
    PENDING_APPROVAL = lifecycle.PENDING_APPROVAL
    APPROVED = lifecycle.APPROVED
    CLAIMED = lifecycle.CLAIMED
    RUNNING = lifecycle.RUNNING
    SUCCEEDED = lifecycle.SUCCEEDED
    FAILED = lifecycle.FAILED
    TIMED_OUT = lifecycle.TIMED_OUT
    REJECTED = lifecycle.REJECTED
    EXPIRED = lifecycle.EXPIRED
    UNKNOWN = lifecycle.UNKNOWN
    CANCELLED = lifecycle.CANCELLED

    @property
    def finished(self) -> bool:
        return self in _FINISHED


_FINISHED = frozenset(
    {
        ExecutionStatus.SUCCEEDED,
        ExecutionStatus.FAILED,
        ExecutionStatus.TIMED_OUT,
        ExecutionStatus.REJECTED,
        ExecutionStatus.EXPIRED,
        ExecutionStatus.UNKNOWN,
        ExecutionStatus.CANCELLED,
    }
)


class Execution(SQLModel, table=True):
    __tablename__ = "executions"
    __table_args__ = (
        Index("ix_executions_server_started", "server_name", "started_at"),
        Index("ix_executions_status_started", "status", "started_at"),
        # reports: a time range read from the index alone
        Index(
            "ix_executions_started_cover",
            "started_at",
            "server_name",
            "action_name",
            "status",
            "trigger",
            "duration_s",
        ),
        # the actions report's p95, read from the top of each action's runs
        Index(
            "ix_executions_action_duration",
            "action_name",
            "duration_s",
            "started_at",
            "server_name",
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    # Names are copied so the history survives a server or action being removed.
    server_id: int | None = Field(
        default=None, foreign_key="servers.id", ondelete="SET NULL"
    )
    server_name: str = Field(max_length=64)
    action_name: str = Field(max_length=64)
    action_type: str = Field(max_length=20)
    actor: str = Field(max_length=80)
    trigger: str = Field(max_length=20)  # a Trigger: manual | policy | approval
    reason: str = Field(default="", sa_type=LongText)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    command: str = Field(default="", sa_type=LongText)
    status: str = Field(max_length=16, index=True)  # an ExecutionStatus
    exit_code: int | None = None
    stdout: str = Field(default="", sa_type=LongText)
    stderr: str = Field(default="", sa_type=LongText)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    error: str = Field(default="", sa_type=LongText)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    duration_s: float | None = Field(default=None, sa_type=Double)
    request_id: int | None = Field(default=None, index=True)
