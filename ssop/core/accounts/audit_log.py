"""Reading the audit trail back: for callers holding audit.read only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import AuditOutcome, refusals_audited
from ssop.core.clock import Clock
from ssop.core.errors import InvalidInput
from ssop.core.store.audit_repo import AuditRepo
from ssop.core.store.db import SessionFactory

MAX_LIMIT = 10_000


@dataclass(kw_only=True, frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    event: str
    target: str
    detail: str
    ok: bool
    outcome: str = AuditOutcome.OK.value


class AuditLogService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("audit.list")
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
            return [
                AuditEntry(
                    at=r.at,
                    actor=r.actor,
                    event=r.event,
                    target=r.target,
                    detail=r.detail,
                    ok=r.ok,
                    outcome=r.outcome,
                )
                for r in rows
            ]
