"""Run a claimed request exactly once: recheck, mark running, execute, close.

Only the caller whose conditional update moved the request to ``claimed``
gets here. Before anything is sent the request is checked again: the
server, the action and its assignment still exist, the action is unchanged
(its spec hash), the parameters still pass their guards, and the
precondition still holds in the latest readings. Anything else closes the
request as ``cancelled`` with the reason. An executor that raises leaves
the outcome ``unknown``: the command may or may not have run; unless it
could not even record the run (``ExecutionNotStarted``): then nothing was
sent, and this runner runs it again once the store is back (``held``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlmodel import Session

from ssop.core.actions.guards.rails import GuardsFor
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import ExecutionNotStarted, SsopError
from ssop.core.lifecycle import Trigger
from ssop.core.models import ApprovalRequest, Verification
from ssop.core.notify.events import EventKind, Notification, Notifier
from ssop.core.policy import conditions
from ssop.core.policy.ports import Executor, ReadingsSource
from ssop.core.policy.prepare import Prepared, prepare
from ssop.core.policy.states import FINISHED, RequestStatus
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.retry import retrying_transaction
from ssop.core.store.verify_repo import VerifyRepo

log = logging.getLogger(__name__)

BASELINE_KEY = "ssop_baseline"
CLAIMED, RUNNING = RequestStatus.CLAIMED, RequestStatus.RUNNING
T = TypeVar("T")


@dataclass(frozen=True)
class RequestRunResult:
    """How one run of a remediation request ended, and the execution it made."""

    request_id: int
    status: RequestStatus
    execution_id: int | None = None
    detail: str = ""


class RequestRunner:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        settings: Settings,
        executor: Callable[[], Executor],
        readings: ReadingsSource,
        notifier: Notifier,
        guards: GuardsFor,
        runner_id: str,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.executor = executor
        self.readings = readings
        self.notifier = notifier
        self.guards = guards
        self.runner_id = runner_id
        # moved to running, but nothing was sent: the store failed first
        self._not_started: set[int] = set()

    def claim(self, request_id: int) -> bool:
        """Claim an approved, unexpired request; True only for the one winner.

        Nothing is claimed while automation is paused: the kill switch holds
        approved requests too. The policy lock orders the claim after any
        ``pause`` that committed first.
        """
        now = self.clock.now()
        return self._transaction(
            lambda s: self._claim_unless_paused(s, request_id, now),
            f"claim of request {request_id}",
        )

    def _claim_unless_paused(self, s: Session, request_id: int, now: datetime) -> bool:
        policy = PolicyRepo(s)
        policy.lock(now)
        if policy.state().paused:
            return False
        return ApprovalRepo(s).move(
            request_id,
            [RequestStatus.APPROVED],
            CLAIMED,
            not_expired_at=now,
            claimed_by=self.runner_id,
            claimed_at=now,
        )

    def held(self) -> list[int]:
        """Requests this runner claimed and has not started: a store outage
        cut the run short after the claim committed, or kept the execution
        from being recorded (then nothing was sent). Running them now runs
        them once.

        Raises:
            StoreError: the store is still down.
        """
        for request_id in sorted(self._not_started):
            self._move(request_id, RUNNING, CLAIMED)  # unless reconciled meanwhile
            self._not_started.discard(request_id)
        with self.sessions() as s:
            return ApprovalRepo(s).ids_where([CLAIMED], claimed_by=self.runner_id)

    def claim_and_run(self, request_id: int) -> RequestRunResult | None:
        """Claim and run; None when the request was not there to claim."""
        if not self.claim(request_id):
            return None
        return self.run_claimed(request_id)

    def run_claimed(self, request_id: int) -> RequestRunResult:
        """Run a request this runner holds in ``claimed``."""
        with self.sessions() as s, s.begin():
            row = ApprovalRepo(s).get(request_id)
            prep = self._prepare(s, row)
            reason = self._unrunnable(row, prep)
        if reason is None:
            reason = self._precondition_fails(row)
        executor, missing = self._executor()
        if reason is None and executor is None:
            reason = missing
        if reason is not None or executor is None:
            return self._close(
                request_id, CLAIMED, RequestStatus.CANCELLED, reason or ""
            )
        if not self._move(request_id, CLAIMED, RUNNING):
            return RequestRunResult(
                request_id, RequestStatus.UNKNOWN, None, "claim was lost"
            )
        return self._execute(row, prep, executor)

    def _executor(self) -> tuple[Executor | None, str]:
        """The executor, or why there is none (known before anything is running)."""
        try:
            return self.executor(), ""
        except SsopError as e:
            return None, f"cannot execute: {e.message}"

    def _prepare(self, s: Session, row: ApprovalRequest) -> Prepared:
        use_sudo = self.settings.ssh.use_sudo
        return prepare(
            s, row.server_name, row.action_name, row.params, self.guards, use_sudo
        )

    def _unrunnable(self, row: ApprovalRequest, prep: Prepared) -> str | None:
        if prep.server is None:
            return f"server {row.server_name} was removed"
        if not prep.server.enabled:
            return f"server {row.server_name} is disabled"
        if prep.action is None:
            return f"action {row.action_name} was removed or disabled"
        if prep.link is None:
            return f"{row.action_name} is no longer assigned to {row.server_name}"
        if prep.invalid is not None:
            return f"parameters no longer valid: {prep.invalid}"
        if prep.spec_hash != row.spec_hash:
            return f"action {row.action_name} changed since the request was made"
        return None

    def _precondition_fails(self, row: ApprovalRequest) -> str | None:
        before = row.evidence.get(BASELINE_KEY) or {}
        readings = self.readings.latest(row.server_name)
        verdict = conditions.precondition(row.action_name, row.params, before, readings)
        if verdict.holds is False:
            return f"precondition no longer holds: {verdict.detail}"
        return None

    def _execute(
        self, row: ApprovalRequest, prep: Prepared, executor: Executor
    ) -> RequestRunResult:
        assert row.id is not None
        execution_id, status, detail = self._call_executor(row, prep, executor)
        if execution_id is None:
            execution_id = self._find_execution(row.id)
        result = self._close(row.id, RUNNING, status, detail, execution_id, row)
        self._announce(row, result)
        return result

    def _call_executor(
        self, row: ApprovalRequest, prep: Prepared, executor: Executor
    ) -> tuple[int | None, RequestStatus, str]:
        assert prep.server and prep.spec and prep.params
        trigger = Trigger.POLICY if row.trigger == Trigger.AUTO else Trigger.APPROVAL
        try:
            record = executor.execute(
                prep.server,
                prep.spec,
                prep.params,
                actor=row.decided_by or "policy",
                trigger=trigger,
                reason=row.reasoning,
                request_id=row.id,
            )
        except ExecutionNotStarted as e:
            assert row.id is not None
            log.error("request %s: not run, will be retried: %s", row.id, e.message)
            self._not_started.add(row.id)
            raise
        except SsopError as e:
            log.error("request %s: execution outcome unknown: %s", row.id, e.message)
            return None, RequestStatus.UNKNOWN, e.message
        return record.id, _status_of(record.status), ""

    def _find_execution(self, request_id: int) -> int | None:
        with self.sessions() as s, s.begin():
            repo = PolicyRepo(s)
            rows = repo.executions_for_request(request_id)
            if not rows or rows[-1].id is None:
                return None
            repo.mark_execution(rows[-1].id, [CLAIMED, RUNNING], "unknown")
            return rows[-1].id

    def _move(self, request_id: int, old: str, new: str) -> bool:
        return self._transaction(
            lambda s: ApprovalRepo(s).move(
                request_id, [old], new, holder=self.runner_id
            ),
            f"request {request_id} to {new}",
        )

    def _transaction(self, fn: Callable[[Session], T], what: str) -> T:
        # Several daemons claim from one table: a lost lock race is retried.
        return retrying_transaction(self.sessions, fn, clock=self.clock, what=what)

    def _close(
        self,
        request_id: int,
        old: str,
        status: RequestStatus,
        reason: str,
        execution_id: int | None = None,
        row: ApprovalRequest | None = None,
    ) -> RequestRunResult:
        now = self.clock.now()

        def close(s: Session) -> bool:
            moved = ApprovalRepo(s).move(
                request_id,
                [old],
                status,
                holder=self.runner_id,
                close=True,
                closed_at=now,
                closed_reason=reason,
                execution_id=execution_id,
            )
            if moved and row is not None and execution_id is not None:
                self._schedule_verification(s, row, status, execution_id)
            return moved

        moved = self._transaction(close, f"closing request {request_id}")
        if not moved:
            log.warning("request %s: no longer %s; left as it is", request_id, old)
        return RequestRunResult(request_id, status, execution_id, reason)

    def _schedule_verification(
        self, s: Session, row: ApprovalRequest, status: str, execution_id: int
    ) -> None:
        if status != RequestStatus.SUCCEEDED or not conditions.has_verification(
            row.action_name
        ):
            return
        now = self.clock.now()
        due = now + timedelta(seconds=self.settings.policy.verify_delay_s)
        VerifyRepo(s).add(
            Verification(
                execution_id=execution_id,
                request_id=row.id,
                server_name=row.server_name,
                action_name=row.action_name,
                params=row.params,
                baseline=row.evidence.get(BASELINE_KEY) or {},
                created_at=now,
                due_at=due,
            )
        )

    def _announce(self, row: ApprovalRequest, result: RequestRunResult) -> None:
        ok = result.status == RequestStatus.SUCCEEDED
        kind = EventKind.EXECUTION_DONE if ok else EventKind.EXECUTION_FAILED
        verb = "ran" if ok else f"ended {result.status}"
        self.notifier.notify(
            Notification(
                kind,
                self.clock.now(),
                f"{row.action_name} {verb} on {row.server_name} ({row.trigger})",
                server=row.server_name,
                action=row.action_name,
                params=row.params,
                request_id=row.id,
                execution_id=result.execution_id,
                status=result.status.value,
                risk=row.effective_risk,
                actor=row.decided_by or "policy",
                detail=result.detail,
            )
        )


def _status_of(value: str) -> RequestStatus:
    try:
        status = RequestStatus(value)
    except ValueError:
        return RequestStatus.UNKNOWN
    return status if status in FINISHED else RequestStatus.UNKNOWN


def new_runner_id() -> str:
    """hostname:pid:random, so a restarted process never holds an old claim."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
