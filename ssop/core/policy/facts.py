"""Gather the facts ``gates.decide`` looks at, in the caller's transaction.

In shadow mode "would have executed" decisions count like executions for
cooldown, budgets and blast radius, so the shadow report shows what live
mode would really have done, not an unthrottled wish list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from ssop.core.actions.spec import RiskLevel
from ssop.core.config.schema import PolicySection
from ssop.core.models import AutomationState
from ssop.core.models.keys import open_key
from ssop.core.policy.gates import Facts, OpenRequest
from ssop.core.policy.ports import Proposal
from ssop.core.policy.prepare import Prepared
from ssop.core.policy.states import IN_FLIGHT
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.verify_repo import VerifyRepo

HOUR = timedelta(hours=1)
ALL_SERVERS = "*"


def is_shadow(server: str, policy: PolicySection, state: AutomationState) -> bool:
    """Shadow for the fleet (settings or override), or for this server alone,
    unless this server was promoted (``ssop policy promote --server``)."""
    promoted = set(state.live_servers or ())
    if server in promoted:
        return False
    if (state.mode or policy.mode) == "shadow":
        return True
    return server in policy.shadow_servers and ALL_SERVERS not in promoted


def gather(
    s: Session,
    proposal: Proposal,
    prep: Prepared,
    now: datetime,
    policy: PolicySection,
) -> Facts:
    repo = PolicyRepo(s)
    state = repo.state()
    shadow = is_shadow(proposal.server, policy, state)
    server = proposal.server
    duplicate = proposal.recommendation_id is not None and repo.was_decided(
        proposal.recommendation_id
    )
    return Facts(
        now=now,
        duplicate=duplicate,
        server_known=prep.server is not None,
        server_enabled=prep.server is not None and prep.server.enabled,
        action_known=prep.action is not None,
        action_read_only=prep.read_only,
        action_risk=prep.spec.risk if prep.spec else RiskLevel.LOW,
        assigned=prep.link is not None,
        automatic=prep.link is not None and prep.link.automatic,
        invalid_params=prep.invalid,
        maintenance=_maintenance(repo, server, now),
        last_same_change=_last_change(repo, proposal, prep, now, policy, shadow),
        open_request=_open_request(s, proposal, prep),
        demoted=_demoted(s, server, proposal.action),
        paused=_paused(state),
        server_auto_last_hour=_auto_runs(repo, now - HOUR, shadow, server),
        fleet_auto_last_hour=_auto_runs(repo, now - HOUR, shadow, None),
        running_auto=repo.auto_in_flight(IN_FLIGHT),
        changed_servers=frozenset(_changed(repo, now - HOUR, shadow)),
        fleet_size=repo.fleet_size(),
        shadow=shadow,
    )


def _maintenance(repo: PolicyRepo, server: str, now: datetime) -> str | None:
    window = repo.active_window(server, now)
    if window is None:
        return None
    scope = "fleet" if window.server_name == ALL_SERVERS else server
    why = f": {window.reason}" if window.reason else ""
    return f"{scope} in maintenance until {window.ends_at:%Y-%m-%d %H:%M} UTC{why}"


def _last_change(
    repo: PolicyRepo,
    p: Proposal,
    prep: Prepared,
    now: datetime,
    policy: PolicySection,
    shadow: bool,
) -> datetime | None:
    since = now - timedelta(seconds=policy.cooldown_s)
    times = [repo.last_run_of(p.server, p.action, prep.key, since)]
    if shadow:
        times.append(repo.last_shadow_of(p.server, p.action, prep.key, since))
    return max((t for t in times if t is not None), default=None)


def _open_request(s: Session, p: Proposal, prep: Prepared) -> OpenRequest | None:
    row = ApprovalRepo(s).find_open(open_key(p.server, p.action, prep.key))
    if row is None or row.id is None:
        return None
    return OpenRequest(row.id, row.status, row.gate)


def _demoted(s: Session, server: str, action: str) -> str | None:
    row = VerifyRepo(s).active_demotion(server, action)
    if row is None:
        return None
    return (
        f"automatic execution of {action} on {server} suspended since "
        f"{row.since:%Y-%m-%d %H:%M} UTC: {row.reason}"
    )


def _paused(state: AutomationState) -> str | None:
    if not state.paused:
        return None
    when = f" at {state.paused_at:%Y-%m-%d %H:%M} UTC" if state.paused_at else ""
    why = f": {state.reason}" if state.reason else ""
    return f"automation paused by {state.paused_by or '?'}{when}{why}"


def _auto_runs(
    repo: PolicyRepo, since: datetime, shadow: bool, server: str | None
) -> int:
    count = repo.auto_runs_since(since, server)
    return count + repo.shadow_runs_since(since, server) if shadow else count


def _changed(repo: PolicyRepo, since: datetime, shadow: bool) -> set[str]:
    changed = repo.changed_servers(since, IN_FLIGHT)
    return changed | repo.shadow_servers_since(since) if shadow else changed
