"""The policy itself: a pure function from a proposal and the facts to a decision.

Gates run in a fixed order and the first one that stops a proposal decides:

1. dropped — not actionable: rejected by the analysis, already decided,
   unknown or disabled server, unknown action, a read-only action, an
   action not assigned to the server, parameters that fail validation;
2. blocked — not now: a maintenance window or silence, the same change ran
   (or is running) within the cooldown;
3. queued — needs a human: an open request for the same change already
   waits (no second one), only the model advised it (no detector made the
   same recommendation: uncorroborated, whatever the assignment says), the
   assignment is not automatic, verification demoted it, its risk is above
   ``auto_max_risk`` (high always is), or the confidence is below
   ``min_confidence``. A detector's advice is not held back by a model-only
   request for the same change still pending: it is decided on its own,
   and when it runs that request is closed as superseded;
4. blocked — automation may not act now: paused, the server's or the
   fleet's hourly budget, ``max_concurrent``, the blast radius;
5. shadow — everything passed but the server is in shadow mode;
6. executed.

Blocked proposals make no approval request: they are limits on *when*
ssop acts, and the next analysis proposes them again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ssop.core.actions.spec import RiskLevel
from ssop.core.config.schema import PolicySection
from ssop.core.policy.ports import Proposal
from ssop.core.policy.states import Gate, Outcome, RequestStatus


@dataclass(frozen=True)
class OpenRequest:
    id: int
    status: str
    gate: str


@dataclass(frozen=True)
class Facts:
    """Everything ``decide`` may look at, gathered in one transaction."""

    now: datetime
    duplicate: bool = False
    server_known: bool = True
    server_enabled: bool = True
    action_known: bool = True
    action_read_only: bool = False
    action_risk: RiskLevel = RiskLevel.LOW
    assigned: bool = True
    automatic: bool = False
    invalid_params: str | None = None
    maintenance: str | None = None
    last_same_change: datetime | None = None
    open_request: OpenRequest | None = None
    demoted: str | None = None
    paused: str | None = None
    server_auto_last_hour: int = 0
    fleet_auto_last_hour: int = 0
    running_auto: int = 0
    changed_servers: frozenset[str] = frozenset()
    fleet_size: int = 1
    shadow: bool = False


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    gate: Gate
    detail: str = ""


# One gate: a decision stops the proposal there; None lets it through.
GateCheck = Callable[[Proposal, Facts, PolicySection], Decision | None]


def decide(proposal: Proposal, facts: Facts, policy: PolicySection) -> Decision:
    """The first gate that stops ``proposal``, or executed when none does."""
    for check in CHECKS:
        decision = check(proposal, facts, policy)
        if decision is not None:
            return decision
    return Decision(Outcome.EXECUTED, Gate.PASSED, "every gate passed")


def effective_risk(proposal: Proposal, facts: Facts) -> RiskLevel:
    """The higher of the analysis' risk and the action's own."""
    return max(proposal.effective_risk, facts.action_risk, key=lambda r: r.rank)


def _dropped(p: Proposal, f: Facts, _: PolicySection) -> Decision | None:
    drop = Outcome.DROPPED
    if p.rejected_reason is not None:
        return Decision(
            drop, Gate.REJECTED, f"rejected by the analysis: {p.rejected_reason}"
        )
    if f.duplicate:
        return Decision(drop, Gate.DUPLICATE, "this recommendation was decided before")
    if not f.server_known or not f.server_enabled:
        state = "unknown" if not f.server_known else "disabled"
        return Decision(drop, Gate.UNKNOWN_SERVER, f"server {p.server} is {state}")
    if not f.action_known:
        return Decision(
            drop, Gate.UNKNOWN_ACTION, f"no enabled action named {p.action}"
        )
    if f.action_read_only:
        return Decision(
            drop, Gate.READ_ONLY, f"{p.action} only reads; nothing to remediate"
        )
    if not f.assigned:
        return Decision(
            drop, Gate.NOT_ASSIGNED, f"{p.action} is not assigned to {p.server}"
        )
    if f.invalid_params is not None:
        return Decision(drop, Gate.INVALID_PARAMS, f.invalid_params)
    return None


def _not_now(p: Proposal, f: Facts, policy: PolicySection) -> Decision | None:
    if f.maintenance is not None:
        return Decision(Outcome.BLOCKED, Gate.MAINTENANCE, f.maintenance)
    req = f.open_request
    if req is not None and req.status not in _WAITING:
        return Decision(
            Outcome.BLOCKED,
            Gate.COOLDOWN,
            f"the same change is {req.status} as request #{req.id}",
        )
    last = f.last_same_change
    if last is not None and f.now - last < timedelta(seconds=policy.cooldown_s):
        ago = int((f.now - last).total_seconds())
        return Decision(
            Outcome.BLOCKED,
            Gate.COOLDOWN,
            f"the same change ran {ago}s ago (cooldown {policy.cooldown_s}s)",
        )
    return None


_WAITING = (RequestStatus.PENDING_APPROVAL.value, RequestStatus.APPROVED.value)


def supersedes(p: Proposal, f: Facts) -> bool:
    """Detector advice meeting a pending request only the model asked for: the
    model's earlier word must not keep the detector's from its own verdict."""
    req = f.open_request
    return (
        req is not None
        and not p.model_only
        and req.status == RequestStatus.PENDING_APPROVAL.value
        and req.gate == Gate.UNCORROBORATED.value
    )


def _needs_human(p: Proposal, f: Facts, policy: PolicySection) -> Decision | None:
    gate, detail = _unsuitable(p, f, policy)
    req = None if supersedes(p, f) and gate is None else f.open_request
    if req is not None:
        return Decision(
            Outcome.QUEUED,
            _as_gate(req.gate, gate or Gate.NOT_AUTOMATIC),
            f"already waiting as request #{req.id} ({req.status})",
        )
    if gate is None:
        return None
    return Decision(Outcome.QUEUED, gate, detail)


def _as_gate(value: str, default: Gate) -> Gate:
    try:
        return Gate(value)
    except ValueError:
        return default


def _unsuitable(
    p: Proposal, f: Facts, policy: PolicySection
) -> tuple[Gate | None, str]:
    risk = effective_risk(p, f)
    limit = RiskLevel(policy.auto_max_risk)
    if p.model_only:
        return (
            Gate.UNCORROBORATED,
            f"model-only: no detector recommended {p.action} with these parameters",
        )
    if not f.automatic:
        return Gate.NOT_AUTOMATIC, f"{p.action} is not automatic on {p.server}"
    if f.demoted is not None:
        return Gate.DEMOTED, f.demoted
    if risk is RiskLevel.HIGH or not risk.at_most(limit):
        return Gate.RISK, f"effective risk {risk} is above {limit}"
    if p.confidence < policy.min_confidence:
        return (
            Gate.CONFIDENCE,
            f"confidence {p.confidence:.2f} is below {policy.min_confidence:.2f}",
        )
    return None, ""


def _limits(p: Proposal, f: Facts, policy: PolicySection) -> Decision | None:
    block = Outcome.BLOCKED
    if f.paused is not None:
        return Decision(block, Gate.PAUSED, f.paused)
    if f.server_auto_last_hour >= policy.max_auto_per_hour:
        return Decision(
            block,
            Gate.BUDGET,
            f"{p.server} had {f.server_auto_last_hour} automatic change(s) in the "
            f"last hour (max {policy.max_auto_per_hour})",
        )
    if f.fleet_auto_last_hour >= policy.fleet_max_auto_per_hour:
        return Decision(
            block,
            Gate.BUDGET,
            f"the fleet had {f.fleet_auto_last_hour} automatic change(s) in the "
            f"last hour (max {policy.fleet_max_auto_per_hour})",
        )
    if f.running_auto >= policy.max_concurrent:
        return Decision(
            block,
            Gate.CONCURRENCY,
            f"{f.running_auto} automatic execution(s) running "
            f"(max {policy.max_concurrent})",
        )
    return _blast_radius(p, f, policy)


def blast_limit(fleet_size: int, percent: float) -> int:
    """Servers that may change per hour: the share, but at least one unless 0 %."""
    if percent <= 0:
        return 0
    return max(1, math.floor(fleet_size * percent / 100.0))


def _blast_radius(p: Proposal, f: Facts, policy: PolicySection) -> Decision | None:
    if p.server in f.changed_servers:
        return None
    limit = blast_limit(f.fleet_size, policy.max_fleet_percent)
    if len(f.changed_servers) + 1 > limit:
        return Decision(
            Outcome.BLOCKED,
            Gate.BLAST_RADIUS,
            f"{len(f.changed_servers)} of {f.fleet_size} server(s) changed in the last "
            f"hour; at most {limit} ({policy.max_fleet_percent:g} %)",
        )
    return None


def _shadow(p: Proposal, f: Facts, _: PolicySection) -> Decision | None:
    if f.shadow:
        return Decision(
            Outcome.SHADOW, Gate.SHADOW_MODE, "would have executed (shadow mode)"
        )
    return None


CHECKS: tuple[GateCheck, ...] = (_dropped, _not_now, _needs_human, _limits, _shadow)
