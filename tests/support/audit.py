"""Read refusals back from the audit trail, as ``ssop audit list --failed`` does."""

from __future__ import annotations

from sqlmodel import col, select

from ssop.core.models import AuditEvent
from ssop.core.services import Services

Refusal = tuple[str, str, str, str]  # actor, event, target, outcome


def refusals(services: Services, event: str | None = None) -> list[Refusal]:
    """Every audit row that is not ok, oldest first (``event`` filters)."""
    query = select(AuditEvent).where(col(AuditEvent.ok).is_(False))
    if event is not None:
        query = query.where(AuditEvent.event == event)
    with services.sessions() as s:
        rows = s.exec(query.order_by(col(AuditEvent.id))).all()
    return [(r.actor, r.event, r.target, r.outcome) for r in rows]


def reasons(services: Services, event: str) -> list[str]:
    """The details (reasons) of the refusals of ``event``, oldest first."""
    query = select(AuditEvent).where(
        col(AuditEvent.ok).is_(False), AuditEvent.event == event
    )
    with services.sessions() as s:
        return [r.detail for r in s.exec(query.order_by(col(AuditEvent.id)))]
