"""People's handles on policy: the kill switch, shadow mode, maintenance, explain.

Loosening changes are admin-only (settings.write): resume, promote out of
shadow mode, re-enabling a demoted action, ending someone else's maintenance
window. Tightening ones (pause, a maintenance window) need approvals.decide,
so any operator can stop automation at once (and end their own window). The
pause holds everything ssop would run by itself: automatic runs and approved
requests alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import PolicySection
from ssop.core.durations import YEAR, parse_duration
from ssop.core.errors import InvalidInput, NotFound, PermissionDenied
from ssop.core.models import MaintenanceWindow, PolicyDecision
from ssop.core.policy.facts import ALL_SERVERS, is_shadow
from ssop.core.policy.states import Outcome
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.server_repo import ServerRepo
from ssop.core.store.verify_repo import VerifyRepo

VERDICTS = {
    Outcome.EXECUTED: "executed",
    Outcome.QUEUED: "queued for approval",
    Outcome.BLOCKED: "blocked",
    Outcome.SHADOW: "would have executed (shadow mode)",
    Outcome.DROPPED: "dropped",
}


@dataclass(kw_only=True, frozen=True)
class ExplainLine:
    """One recommendation of an analysis, what policy did, and which gate said so."""

    decision_id: int
    at: datetime
    recommendation_id: int | None
    server: str
    action: str
    params: Mapping[str, str]
    outcome: str
    gate: str
    detail: str
    request_id: int | None
    request_status: str | None
    execution_id: int | None

    @property
    def verdict(self) -> str:
        return VERDICTS.get(Outcome(self.outcome), self.outcome)


@dataclass(kw_only=True, frozen=True)
class AutomationStatus:
    paused: bool
    paused_by: str | None
    paused_at: datetime | None
    reason: str
    mode: str
    mode_from: str  # "settings" | "override"
    shadow_servers: tuple[str, ...]
    demoted: tuple[tuple[str, str, str], ...]  # (server, action, reason)


@dataclass(kw_only=True, frozen=True)
class PauseOutcome:
    """The state after ``pause``; ``already`` when someone had paused first."""

    status: AutomationStatus
    already: bool


@dataclass(kw_only=True, frozen=True)
class WindowView:
    id: int
    server: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str


class PolicyAdminService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, policy: PolicySection
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.policy = policy

    @refusals_audited("policy.status")
    def status(self, who: Principal) -> AutomationStatus:
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, Capability.REPORTS_READ)
            state = PolicyRepo(s).state()
            servers = [x.name for x in ServerRepo(s).list()]
            demoted = tuple(
                (d.server_name, d.action_name, d.reason)
                for d in VerifyRepo(s).demotions()
            )
        shadow = tuple(n for n in servers if is_shadow(n, self.policy, state))
        return AutomationStatus(
            paused=state.paused,
            paused_by=state.paused_by,
            paused_at=state.paused_at,
            reason=state.reason,
            mode=state.mode or self.policy.mode,
            mode_from="override" if state.mode else "settings",
            shadow_servers=shadow,
            demoted=demoted,
        )

    @refusals_audited("policy.pause", "automation")
    def pause(self, who: Principal, reason: str = "") -> PauseOutcome:
        """The kill switch: nothing runs by itself until ``resume``.

        Automatic runs stop and approved requests wait (expiring as usual).
        Pausing again keeps the first pauser, time and reason.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.APPROVALS_DECIDE)
            repo = PolicyRepo(s)
            repo.lock(now)
            held = repo.state()
            already = held.paused
            if already:
                detail = f"already paused by {held.paused_by}; kept: {held.reason}"
            else:
                repo.save_state(
                    now,
                    paused=True,
                    paused_by=current.actor,
                    paused_at=now,
                    reason=reason[:255],
                )
                detail = reason
            record_in(s, now, current.actor, "policy.pause", "automation", detail)
        return PauseOutcome(status=self.status(who), already=already)

    @refusals_audited("policy.resume", "automation")
    def resume(self, who: Principal) -> AutomationStatus:
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.SETTINGS_WRITE)
            PolicyRepo(s).save_state(
                now, paused=False, paused_by=None, paused_at=None, reason=""
            )
            record_in(s, now, current.actor, "policy.resume", "automation")
        return self.status(who)

    @refusals_audited("policy.promote", "{server}")
    def promote(self, who: Principal, server: str | None = None) -> AutomationStatus:
        """Leave shadow mode: for the whole fleet, or for one server."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.SETTINGS_WRITE)
            repo = PolicyRepo(s)
            if server is None:
                repo.save_state(now, mode="live", live_servers=[ALL_SERVERS])
            else:
                ServerRepo(s).get(server)
                live = sorted({*repo.state().live_servers, server})
                repo.save_state(now, live_servers=live)
            record_in(s, now, current.actor, "policy.promote", server or "fleet")
        return self.status(who)

    @refusals_audited("policy.shadow", "fleet")
    def shadow(self, who: Principal) -> AutomationStatus:
        """Put the whole fleet back in shadow mode (clears every promotion)."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.APPROVALS_DECIDE)
            PolicyRepo(s).save_state(now, mode="shadow", live_servers=[])
            record_in(s, now, current.actor, "policy.shadow", "fleet")
        return self.status(who)

    @refusals_audited("maintenance.add", "{server}")
    def add_window(
        self,
        who: Principal,
        server: str,
        duration: str,
        reason: str = "",
        starts_at: datetime | None = None,
    ) -> WindowView:
        """A maintenance window (or silence) on ``server`` or '*' for the fleet.

        Raises:
            NotFound: no such server.
            InvalidInput: a bad duration.
        """
        now = self.clock.now()
        start = starts_at or now
        span = parse_duration(duration, at_least=timedelta(minutes=1), at_most=YEAR)
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.APPROVALS_DECIDE)
            if server != ALL_SERVERS:
                ServerRepo(s).get(server)
            row = PolicyRepo(s).add_window(
                MaintenanceWindow(
                    server_name=server,
                    starts_at=start,
                    ends_at=start + span,
                    reason=reason[:255],
                    created_by=current.actor,
                    created_at=now,
                )
            )
            record_in(s, now, current.actor, "maintenance.add", server, reason)
            return _window_view(row)

    @refusals_audited("maintenance.list")
    def windows(self, who: Principal) -> list[WindowView]:
        """Current and future windows."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.REPORTS_READ)
            return [_window_view(w) for w in PolicyRepo(s).windows(now)]

    @refusals_audited("maintenance.rm", "window#{window_id}")
    def remove_window(self, who: Principal, window_id: int) -> WindowView:
        """End a window now: one's own with approvals.decide, anyone else's
        with settings.write (ending a window loosens what someone set).

        Raises:
            NotFound: no such window.
            PermissionDenied: the caller lacks the capability it needs.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.APPROVALS_DECIDE)
            repo = PolicyRepo(s)
            owner = repo.window(window_id).created_by
            if owner != current.actor:
                _require_to_end(s, now, current, window_id, owner)
            row = repo.remove_window(window_id)
            record_in(s, now, current.actor, "maintenance.rm", row.server_name)
            return _window_view(row)

    @refusals_audited("policy.reenable", "{server}/{action}")
    def reenable(self, who: Principal, server: str, action: str) -> None:
        """Give a demoted action its automatic execution back on ``server``.

        Raises:
            NotFound: the action is not demoted there.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, Capability.SETTINGS_WRITE)
            if not VerifyRepo(s).clear(server, action, now, current.actor):
                raise NotFound(f"{action} is not demoted on {server}")
            record_in(s, now, current.actor, "policy.reenable", f"{server}/{action}")

    @refusals_audited("policy.explain", "analysis#{analysis_id}")
    def explain(self, who: Principal, analysis_id: int) -> list[ExplainLine]:
        """Per recommendation of the analysis: what policy did and why.

        Raises:
            NotFound: policy recorded nothing for this analysis (yet).
        """
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, Capability.REPORTS_READ)
            rows = PolicyRepo(s).decisions_for(analysis_id)
            if not rows:
                raise NotFound(
                    f"no policy decisions for analysis #{analysis_id}",
                    hint="it may not be analysed or processed yet",
                )
            requests = ApprovalRepo(s)
            return [_line(r, _request_status(requests, r.request_id)) for r in rows]

    @refusals_audited("policy.shadow_report")
    def shadow_report(self, who: Principal, since: timedelta) -> list[ExplainLine]:
        """Every "would have executed" decision in the last ``since``."""
        if since <= timedelta(0):
            raise InvalidInput("the report period must be positive")
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.REPORTS_READ)
            rows = PolicyRepo(s).decisions_since(Outcome.SHADOW.value, now - since)
            return [_line(r, None) for r in rows]


def _require_to_end(
    s: Session, now: datetime, who: Principal, window_id: int, owner: str
) -> None:
    try:
        require_in(s, now, who, Capability.SETTINGS_WRITE)
    except PermissionDenied as e:
        raise PermissionDenied(
            f"{e.message}, which ending maintenance #{window_id} of {owner} needs",
            hint=f"ask {owner} or an admin",
        ) from e


def _request_status(repo: ApprovalRepo, request_id: int | None) -> str | None:
    if request_id is None:
        return None
    row = repo.find(request_id)
    return row.status if row is not None else None


def _line(row: PolicyDecision, request_status: str | None) -> ExplainLine:
    return ExplainLine(
        decision_id=row.id or 0,
        at=row.at,
        recommendation_id=row.recommendation_id,
        server=row.server_name,
        action=row.action_name,
        params=dict(row.params),
        outcome=row.outcome,
        gate=row.gate,
        detail=row.detail,
        request_id=row.request_id,
        request_status=request_status,
        execution_id=row.execution_id,
    )


def _window_view(row: MaintenanceWindow) -> WindowView:
    return WindowView(
        id=row.id or 0,
        server=row.server_name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
        created_by=row.created_by,
    )
