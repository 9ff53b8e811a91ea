"""The audit trail: record who did what, and let auditors read it back.

Rows never hold passwords or tokens: callers pass names and keys only, and
every detail is run through the log redactor as a second line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.clock import Clock
from ssop.core.errors import InvalidInput
from ssop.core.logsetup import redact
from ssop.core.models import AuditEvent
from ssop.core.store.audit_repo import AuditRepo
from ssop.core.store.db import SessionFactory

MAX_LIMIT = 10_000


class AuditOutcome(StrEnum):
    """How the recorded attempt ended; every outcome but ``ok`` is a failure."""

    OK = "ok"
    DENIED = "denied"  # the caller may not: a permission or a login refused
    REFUSED = "refused"  # policy, a guard rail or a host key said no
    CONFLICT = "conflict"  # the object's state forbids it (decided, expired, ...)
    FAILED = "failed"  # it was allowed but did not work


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    event: str
    target: str
    detail: str
    ok: bool
    outcome: str = AuditOutcome.OK.value


def record_in(
    s: Session,
    now: datetime,
    actor: str,
    event: str,
    target: str = "",
    detail: str = "",
    ok: bool = True,
    outcome: AuditOutcome | None = None,
) -> None:
    """Add one audit row inside the caller's transaction.

    ``outcome`` says how it ended; without one, ``ok`` false means failed.
    """
    result = outcome or (AuditOutcome.OK if ok else AuditOutcome.FAILED)
    AuditRepo(s).add(
        AuditEvent(
            at=now,
            actor=actor[:80],
            event=event,
            target=target[:255],
            detail=redact(detail),
            ok=result is AuditOutcome.OK,
            outcome=result.value,
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
        outcome: AuditOutcome | None = None,
    ) -> None:
        """Add one audit row in a transaction of its own."""
        with self.sessions() as s, s.begin():
            now = self.clock.now()
            record_in(s, now, actor, event, target, detail, ok, outcome)

    def list(
        self,
        principal: Principal,
        limit: int = 50,
        actor: str | None = None,
        event: str | None = None,
        failed: bool = False,
    ) -> list[AuditEntry]:
        """The newest events first, filtered by exact actor and event names;
        ``failed`` keeps only refusals and failures.

        Raises:
            PermissionDenied: the caller lacks audit.read.
            InvalidInput: ``limit`` is not between 1 and 10000.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"--limit must be between 1 and {MAX_LIMIT}")
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), principal, Capability.AUDIT_READ)
            rows = AuditRepo(s).latest(limit, actor, event, failed_only=failed)
            return [_entry(r) for r in rows]


def _entry(row: AuditEvent) -> AuditEntry:
    return AuditEntry(
        row.at, row.actor, row.event, row.target, row.detail, row.ok, row.outcome
    )
