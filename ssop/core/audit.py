"""The audit trail: record who did what (``accounts.audit_log`` reads it back).

Rows never hold passwords or tokens: callers pass names and keys only, and
every detail is run through the log redactor as a second line of defence.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from ssop.core.clock import Clock
from ssop.core.logsetup import redact
from ssop.core.models import AuditEvent
from ssop.core.store.audit_repo import AuditRepo
from ssop.core.store.db import SessionFactory


def record_in(
    s: Session,
    now: datetime,
    actor: str,
    event: str,
    target: str = "",
    detail: str = "",
    ok: bool = True,
) -> None:
    """Add one audit row inside the caller's transaction."""
    AuditRepo(s).add(
        AuditEvent(
            at=now,
            actor=actor[:80],
            event=event,
            target=target[:255],
            detail=redact(detail),
            ok=ok,
        )
    )


class AuditService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def record(
        self,
        actor: str,
        event: str,
        target: str = "",
        detail: str = "",
        ok: bool = True,
    ) -> None:
        """Add one audit row in a transaction of its own."""
        with self.sessions() as s, s.begin():
            record_in(s, self.clock.now(), actor, event, target, detail, ok)
