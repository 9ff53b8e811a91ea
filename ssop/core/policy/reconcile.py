"""After a crash: executions nobody will finish become ``unknown``, for a human.

A request stays ``claimed`` or ``running`` only while the process holding
it works on it. Once the action's timeout plus ``policy.claim_lease_s`` has
passed since the claim, that process is taken for dead: the request and its
execution row become ``unknown``. Nothing is retried. Actions that must
never run twice by accident (reboot, kill, block, and any high-risk custom
action) also lose automatic execution on that server until an admin
re-enables it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from ssop.core import lifecycle
from ssop.core.actions.spec import MAX_TIMEOUT_S
from ssop.core.clock import Clock
from ssop.core.config.schema import PolicySection
from ssop.core.models import ApprovalRequest, Execution
from ssop.core.policy.states import IN_FLIGHT, RequestStatus
from ssop.core.store.action_repo import ActionRepo
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.retry import retrying_transaction
from ssop.core.store.verify_repo import VerifyRepo
from ssop.core.work import ShouldStop, StepReport, never_stop

log = logging.getLogger(__name__)

NEVER_RETRY = frozenset({"reboot_system", "kill_process", "block_ip_firewalld"})


@dataclass
class ReconcileReport(StepReport):
    requests: list[int] = field(default_factory=list)
    executions: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.requests)} request(s) and {len(self.executions)} "
            "execution(s) marked unknown"
        )


class ReconcileService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, policy: PolicySection
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.lease = timedelta(seconds=policy.claim_lease_s)

    def reconcile(self, should_stop: ShouldStop = never_stop) -> ReconcileReport:
        """The daemon step: mark abandoned requests and executions ``unknown``."""
        now = self.clock.now()
        report = ReconcileReport()
        with self.sessions() as s:
            requests = ApprovalRepo(s).in_flight(IN_FLIGHT)
            executions = PolicyRepo(s).executions_in(lifecycle.IN_FLIGHT)
        for row in requests:
            if should_stop():
                return report
            if self._abandon_request(row, now):
                report.requests.append(row.id or 0)
        for execution in executions:
            if self._abandon_execution(execution, now):
                report.executions.append(execution.id or 0)
        return report

    def _abandon_request(self, row: ApprovalRequest, now: datetime) -> bool:
        won = retrying_transaction(
            self.sessions,
            lambda s: self._abandon_request_in(s, row, now),
            clock=self.clock,
            what=f"reconcile of request {row.id}",
        )
        if won:
            log.error(
                "request %s: %s on %s is unknown",
                row.id,
                row.action_name,
                row.server_name,
            )
        return won

    def _abandon_request_in(
        self, s: Session, row: ApprovalRequest, now: datetime
    ) -> bool:
        started = row.claimed_at or row.created_at
        if now < started + _timeout(s, row.action_name) + self.lease:
            return False
        reason = (
            f"{row.claimed_by or 'its runner'} stopped without finishing; "
            "the command may or may not have run: check the server"
        )
        won = ApprovalRepo(s).move(
            row.id or 0,
            [row.status],
            RequestStatus.UNKNOWN,
            close=True,
            closed_at=now,
            closed_reason=reason,
        )
        if won:
            self._settle(s, row, now)
        return won

    def _settle(self, s: Session, row: ApprovalRequest, now: datetime) -> None:
        repo = PolicyRepo(s)
        for execution in repo.executions_for_request(row.id or 0):
            if execution.id is not None:
                repo.mark_execution(
                    execution.id, lifecycle.IN_FLIGHT, "unknown", finished_at=now
                )
        if _never_retry(s, row.action_name):
            VerifyRepo(s).demote(
                row.server_name,
                row.action_name,
                now,
                f"request #{row.id} ended unknown; {row.action_name} is never retried "
                "automatically",
            )

    def _abandon_execution(self, execution: Execution, now: datetime) -> bool:
        return retrying_transaction(
            self.sessions,
            lambda s: self._abandon_execution_in(s, execution, now),
            clock=self.clock,
            what=f"reconcile of execution {execution.id}",
        )

    def _abandon_execution_in(
        self, s: Session, execution: Execution, now: datetime
    ) -> bool:
        deadline = (
            execution.started_at + _timeout(s, execution.action_name) + self.lease
        )
        if now < deadline or execution.id is None:
            return False
        return PolicyRepo(s).mark_execution(
            execution.id,
            lifecycle.IN_FLIGHT,
            "unknown",
            finished_at=now,
            error="abandoned: no process finished this execution",
        )


def _timeout(s: Session, action: str) -> timedelta:
    row = ActionRepo(s).find(action)
    return timedelta(seconds=row.timeout_s if row is not None else MAX_TIMEOUT_S)


def _never_retry(s: Session, action: str) -> bool:
    if action in NEVER_RETRY:
        return True
    row = ActionRepo(s).find(action)
    return row is not None and row.risk == "high"
