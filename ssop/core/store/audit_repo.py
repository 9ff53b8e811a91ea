"""Queries on the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false, func
from sqlmodel import Session, col, select

from ssop.core.models import AuditEvent


class AuditRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, event: AuditEvent) -> AuditEvent:
        self.s.add(event)
        self.s.flush()
        return event

    def latest(
        self,
        limit: int,
        actor: str | None = None,
        event: str | None = None,
        *,
        failed_only: bool = False,
    ) -> list[AuditEvent]:
        stmt = select(AuditEvent)
        if failed_only:
            stmt = stmt.where(col(AuditEvent.ok) == false())
        if actor is not None:
            stmt = stmt.where(AuditEvent.actor == actor)
        if event is not None:
            stmt = stmt.where(AuditEvent.event == event)
        stmt = stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        return list(self.s.exec(stmt.limit(limit)))

    def last_at(self, event: str, target: str, ok: bool = True) -> datetime | None:
        """When ``event`` last happened to ``target``."""
        return self.s.exec(
            select(func.max(AuditEvent.at)).where(
                AuditEvent.event == event,
                AuditEvent.target == target,
                AuditEvent.ok == ok,
            )
        ).one()

    def last_id(self, event: str, target: str, ok: bool = True) -> int:
        """The id of the latest ``event`` on ``target``, 0 when there is none."""
        found = self.s.exec(
            select(func.max(AuditEvent.id)).where(
                AuditEvent.event == event,
                AuditEvent.target == target,
                AuditEvent.ok == ok,
            )
        ).one()
        return int(found or 0)

    def count_after(
        self, event: str, target: str, after_id: int, since: datetime
    ) -> int:
        """How many ``event`` rows on ``target`` come after row ``after_id`` and
        ``since``."""
        return self.s.exec(
            select(func.count()).where(
                AuditEvent.event == event,
                AuditEvent.target == target,
                col(AuditEvent.id) > after_id,
                col(AuditEvent.at) > since,
            )
        ).one()
