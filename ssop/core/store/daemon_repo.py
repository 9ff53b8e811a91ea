"""Queries on the daemons table (heartbeat records)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from ssop.core.models import DaemonRecord


class DaemonRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, record: DaemonRecord) -> DaemonRecord:
        self.s.add(record)
        self.s.flush()
        return record

    def get(self, daemon_id: str) -> DaemonRecord | None:
        return self.s.get(DaemonRecord, daemon_id)

    def all(self) -> Sequence[DaemonRecord]:
        return self.s.exec(
            select(DaemonRecord).order_by(
                col(DaemonRecord.hostname), col(DaemonRecord.started_at)
            )
        ).all()

    def update(self, daemon_id: str, **values: Any) -> bool:
        """Set ``values`` on one row; False when the row does not exist."""
        result = self.s.exec(
            update(DaemonRecord)
            .where(col(DaemonRecord.id) == daemon_id)
            .values(**values)
        )
        return bool(result.rowcount)

    def mark_lost(self, hostname: str, seen_before: datetime) -> int:
        """Mark this host's running rows not seen since ``seen_before`` as lost."""
        result = self.s.exec(
            update(DaemonRecord)
            .where(
                col(DaemonRecord.hostname) == hostname,
                col(DaemonRecord.status) == "running",
                col(DaemonRecord.last_seen_at) < seen_before,
            )
            .values(status="lost")
        )
        return int(result.rowcount)

    def delete_unseen(self, seen_before: datetime) -> int:
        """Delete rows, whatever their status, last seen before ``seen_before``."""
        result = self.s.exec(
            delete(DaemonRecord).where(col(DaemonRecord.last_seen_at) < seen_before)
        )
        return int(result.rowcount)
