"""Approval requests: list, show, ask, approve, reject, expire, and run approved ones.

``approve`` only records the decision. The daemon's ``execute_approved``
step claims approved requests and runs them, so execution happens in one
place, next to the crawl that verifies it; ``ssop daemon --once`` does the
same on a host without a running daemon. Every transition is a conditional
update (see ``ApprovalRepo.move``): two approvers, or two daemons claiming,
end in one decision and one execution.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.actions.guards.rails import GuardsFor
from ssop.core.actions.spec import RiskLevel
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import Conflict, InvalidInput, NotFound, PolicyRefused
from ssop.core.lifecycle import Trigger
from ssop.core.models import ApprovalRequest
from ssop.core.models.keys import open_key
from ssop.core.notify.events import EventKind, Notification, Notifier
from ssop.core.policy import conditions
from ssop.core.policy.ports import ReadingsSource
from ssop.core.policy.prepare import Prepared, prepare
from ssop.core.policy.request_view import (
    RequestView,
    parse_status,
    view_of,
    why_not_pending,
)
from ssop.core.policy.runner import RequestRunner, RequestRunResult
from ssop.core.policy.service import pinned_evidence
from ssop.core.policy.states import RequestStatus
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.retry import retrying_transaction
from ssop.core.work import ShouldStop, StepReport, never_stop

log = logging.getLogger(__name__)

PENDING, APPROVED = RequestStatus.PENDING_APPROVAL, RequestStatus.APPROVED


@dataclass
class RequestBatchReport(StepReport):
    """What a daemon step did with a batch of requests (expired them, ran them)."""

    label: str
    ids: list[int] = field(default_factory=list)
    runs: list[RequestRunResult] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.runs if r.status != RequestStatus.SUCCEEDED)

    def summary(self) -> str:
        return f"{len(self.ids)} request(s) {self.label}"


class ApprovalService:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        settings: Settings,
        runner: RequestRunner,
        readings: ReadingsSource,
        notifier: Notifier,
        guards: GuardsFor,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.policy = settings.policy
        self.runner = runner
        self.readings = readings
        self.notifier = notifier
        self.guards = guards

    @refusals_audited("approval.list")
    def list(
        self,
        who: Principal,
        statuses: Sequence[str] = (),
        limit: int = 100,
        include_auto: bool = False,
    ) -> list[RequestView]:
        """Newest first (needs reports.read); automatic runs only on request.

        Raises:
            InvalidInput: an unknown status name.
        """
        for status in statuses:
            parse_status(status)
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, Capability.REPORTS_READ)
            rows = ApprovalRepo(s).newest(statuses, limit, manual_only=not include_auto)
            return [self._view(r) for r in rows]

    @refusals_audited("approval.show", "request#{request_id}")
    def show(self, who: Principal, request_id: int) -> RequestView:
        """Raises NotFound, PermissionDenied."""
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, Capability.REPORTS_READ)
            return self._view(ApprovalRepo(s).get(request_id))

    @refusals_audited("approval.request", "{server}/{action}")
    def request(
        self,
        who: Principal,
        server: str,
        action: str,
        params: Mapping[str, str],
        reason: str,
    ) -> RequestView:
        """Ask for a manual run to be approved (needs actions.run).

        Raises:
            NotFound: no such server or action.
            PolicyRefused: the action is not assigned to the server.
            InvalidInput: parameters refused, or a read-only action.
            Conflict: the same change is already open.
        """
        now = self.clock.now()
        before = conditions.baseline(action, params, self.readings.latest(server))
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.ACTIONS_RUN)
            PolicyRepo(s).lock(now)
            prep = prepare(
                s, server, action, params, self.guards, self.settings.ssh.use_sudo
            )
            _require_runnable(prep, server, action)
            row = self._manual_row(prep, current.actor, reason, before, now)
            if ApprovalRepo(s).add(row) is None:
                held = ApprovalRepo(s).find_open(row.open_key or "")
                raise Conflict(
                    "the same change is already open as request "
                    f"#{held.id if held else '?'}"
                )
            record_in(s, now, current.actor, "approval.request", _target(row), action)
            view = self._view(row)
        self._notify(
            EventKind.APPROVAL_REQUESTED, row, f"approval requested: {_what(row)}"
        )
        return view

    def _manual_row(
        self,
        prep: Prepared,
        actor: str,
        reason: str,
        before: dict[str, Any],
        now: datetime,
    ) -> ApprovalRequest:
        assert prep.spec is not None
        return ApprovalRequest(
            created_at=now,
            expires_at=now + timedelta(hours=self.policy.approval_ttl_hours),
            status=PENDING,
            trigger=Trigger.MANUAL,
            server_name=prep.server.name if prep.server else "",
            action_name=prep.spec.name,
            params=dict(prep.strings),
            params_key=prep.key,
            command=prep.command,
            spec_hash=prep.spec_hash,
            reasoning=reason,
            evidence=pinned_evidence({}, before),
            effective_risk=prep.spec.risk.value,
            gate="manual",
            requested_by=actor,
            open_key=open_key(
                prep.server.name if prep.server else "", prep.spec.name, prep.key
            ),
        )

    @refusals_audited("approval.approve", "request#{request_id}")
    def approve(
        self, who: Principal, request_id: int, comment: str = ""
    ) -> RequestView:
        """Approve a pending request (needs approvals.decide); it runs on the
        daemon's next execute_approved step.

        Raises:
            NotFound: no such request.
            PermissionDenied: the caller lacks approvals.decide.
            PolicyRefused: four-eyes forbids approving one's own request.
            Conflict: expired, rejected, already decided or executed, or its
                server or action is gone (the request is then closed).
        """
        now = self.clock.now()
        # Two approvers at once can deadlock on MariaDB: the loser retries,
        # then finds the request decided (Conflict), as on any other store.
        won, gone = retrying_transaction(
            self.sessions,
            lambda s: self._approve_in(s, who, request_id, comment, now),
            clock=self.clock,
            what=f"approval of request {request_id}",
        )
        return self._after_decision(request_id, won, gone, "approved")

    def _approve_in(
        self, s: Session, who: Principal, request_id: int, comment: str, now: datetime
    ) -> tuple[bool, str | None]:
        current = require_in(s, now, who, Capability.APPROVALS_DECIDE)
        repo = ApprovalRepo(s)
        row = repo.get(request_id)
        _require_pending(row, now)
        self._four_eyes(row, current)
        gone = self._gone(s, row)
        if gone is not None:
            repo.move(
                request_id,
                [PENDING],
                RequestStatus.CANCELLED,
                close=True,
                closed_at=now,
                closed_reason=gone,
            )
            return False, gone
        won = repo.move(
            request_id,
            [PENDING],
            APPROVED,
            not_expired_at=now,
            decided_by=current.actor,
            decided_at=now,
            comment=comment,
        )
        if won:
            record_in(s, now, current.actor, "approval.approve", _target(row), comment)
        return won, None

    @refusals_audited("approval.reject", "request#{request_id}")
    def reject(self, who: Principal, request_id: int, reason: str) -> RequestView:
        """Reject a pending (or approved, not yet claimed) request.

        Raises:
            InvalidInput: no reason given.
            NotFound, PermissionDenied, Conflict: as for ``approve``.
        """
        if not reason.strip():
            raise InvalidInput("a rejection needs a reason (--reason TEXT)")
        now = self.clock.now()
        won = retrying_transaction(
            self.sessions,
            lambda s: self._reject_in(s, who, request_id, reason, now),
            clock=self.clock,
            what=f"rejection of request {request_id}",
        )
        return self._after_decision(request_id, won, None, "rejected")

    def _reject_in(
        self, s: Session, who: Principal, request_id: int, reason: str, now: datetime
    ) -> bool:
        current = require_in(s, now, who, Capability.APPROVALS_DECIDE)
        repo = ApprovalRepo(s)
        row = repo.get(request_id)
        won = repo.move(
            request_id,
            [PENDING, APPROVED],
            RequestStatus.REJECTED,
            close=True,
            decided_by=current.actor,
            decided_at=now,
            comment=reason,
            closed_at=now,
            closed_reason=f"rejected: {reason}",
        )
        if won:
            record_in(s, now, current.actor, "approval.reject", _target(row), reason)
        return won

    def _after_decision(
        self, request_id: int, won: bool, gone: str | None, verb: str
    ) -> RequestView:
        with self.sessions() as s:
            row = ApprovalRepo(s).get(request_id)
        if gone is not None:
            raise Conflict(f"request #{request_id} cannot run: {gone}; it was closed")
        if not won:
            raise Conflict(why_not_pending(row, self.clock.now()))
        self._notify(
            EventKind.APPROVAL_DECIDED,
            row,
            f"request #{request_id} {verb} by {row.decided_by}",
        )
        return self._view(row)

    def _view(self, row: ApprovalRequest) -> RequestView:
        return replace(view_of(row), four_eyes=self._needs_four_eyes(row))

    def _needs_four_eyes(self, row: ApprovalRequest) -> bool:
        if not self.policy.four_eyes or row.trigger != Trigger.MANUAL:
            return False
        return RiskLevel(row.effective_risk) >= RiskLevel(
            self.policy.four_eyes_min_risk
        )

    def _four_eyes(self, row: ApprovalRequest, who: Principal) -> None:
        if row.requested_by == who.actor and self._needs_four_eyes(row):
            raise PolicyRefused(
                f"four-eyes: {who.actor} requested #{row.id} "
                f"({row.effective_risk} risk) "
                "and cannot approve it too",
                hint="ask another user with approvals.decide",
            )

    def _gone(self, s: Session, row: ApprovalRequest) -> str | None:
        prep = prepare(
            s,
            row.server_name,
            row.action_name,
            row.params,
            self.guards,
            self.settings.ssh.use_sudo,
        )
        if prep.server is None:
            return f"server {row.server_name} was removed"
        if prep.action is None:
            return f"action {row.action_name} was removed or disabled"
        if prep.link is None:
            return f"{row.action_name} is no longer assigned to {row.server_name}"
        return None

    def expire_due(self, should_stop: ShouldStop = never_stop) -> RequestBatchReport:
        """The daemon step: undecided (or approved, unrun) requests past their
        expiry become ``expired``, which counts as rejected."""
        now = self.clock.now()
        report = RequestBatchReport("expired")
        with self.sessions() as s:
            ids = ApprovalRepo(s).ids_where([PENDING, APPROVED], expires_before=now)
        for request_id in ids:
            if should_stop():
                break
            if self._expire(request_id, now):
                report.ids.append(request_id)
        return report

    def _expire(self, request_id: int, now: datetime) -> bool:
        won, row = retrying_transaction(
            self.sessions,
            lambda s: self._expire_in(s, request_id, now),
            clock=self.clock,
            what=f"expiry of request {request_id}",
        )
        if won:
            self._notify(
                EventKind.APPROVAL_EXPIRED, row, f"request #{request_id} expired"
            )
        return won

    def _expire_in(
        self, s: Session, request_id: int, now: datetime
    ) -> tuple[bool, ApprovalRequest]:
        ttl = self.policy.approval_ttl_hours
        repo = ApprovalRepo(s)
        won = repo.move(
            request_id,
            [PENDING, APPROVED],
            RequestStatus.EXPIRED,
            close=True,
            closed_at=now,
            closed_reason=f"expired after {ttl:g} h: counts as rejected",
        )
        return won, repo.get(request_id)

    def claim_and_run(self, request_id: int) -> RequestRunResult | None:
        """Claim one approved request and run it; None when another caller won."""
        return self.runner.claim_and_run(request_id)

    def execute_approved(
        self, should_stop: ShouldStop = never_stop
    ) -> RequestBatchReport:
        """The daemon step: claim and run every approved, unexpired request,
        after any this daemon claimed before a store outage stopped it.

        While automation is paused nothing runs: approved requests wait (and
        expire as usual) until ``resume``.
        """
        with self.sessions() as s:
            ids = ApprovalRepo(s).ids_where([APPROVED])
            paused = PolicyRepo(s).state().paused
        if paused:
            return RequestBatchReport("held: automation is paused", ids)
        held = self.runner.held()
        report = RequestBatchReport("executed")
        for request_id in [*held, *ids]:
            if should_stop():
                break
            result = (
                self.runner.run_claimed(request_id)
                if request_id in held
                else self.runner.claim_and_run(request_id)
            )
            if result is not None:
                report.ids.append(request_id)
                report.runs.append(result)
        return report

    def _notify(self, kind: EventKind, row: ApprovalRequest, title: str) -> None:
        self.notifier.notify(
            Notification(
                kind,
                self.clock.now(),
                title,
                server=row.server_name,
                action=row.action_name,
                params=row.params,
                request_id=row.id,
                status=row.status,
                risk=row.effective_risk,
                actor=row.decided_by or row.requested_by,
                detail=row.comment or row.closed_reason,
            )
        )


def _require_runnable(prep: Prepared, server: str, action: str) -> None:
    if prep.server is None:
        raise NotFound(f"no server named {server!r}", hint="see: ssop server list")
    if prep.action is None:
        raise NotFound(
            f"no enabled action named {action!r}", hint="see: ssop action list"
        )
    if prep.link is None:
        raise PolicyRefused(f"action {action} is not assigned to server {server}")
    if prep.invalid is not None:
        raise InvalidInput(prep.invalid)
    if prep.read_only:
        raise InvalidInput(f"{action} only reads; it needs no approval")


def _require_pending(row: ApprovalRequest, now: datetime) -> None:
    if row.status != PENDING or row.expires_at <= now:
        raise Conflict(why_not_pending(row, now))


def _target(row: ApprovalRequest) -> str:
    return f"request#{row.id} {row.server_name}/{row.action_name}"


def _what(row: ApprovalRequest) -> str:
    return f"{row.action_name} on {row.server_name} (request #{row.id})"
