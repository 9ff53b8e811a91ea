"""Running daemons: one row per process, refreshed by its heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ssop.core.models.types import JsonColumn, UtcDateTime, utcnow


class DaemonRecord(SQLModel, table=True):
    __tablename__ = "daemons"

    # hostname:pid:random, so a restarted process never reuses a row.
    id: str = Field(primary_key=True, max_length=160)
    hostname: str = Field(max_length=128, index=True)
    pid: int
    started_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_crawl_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_analysis_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    status: str = Field(default="running", max_length=16)
    errors: int = 0
    info: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
