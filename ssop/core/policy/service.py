"""Automatic remediation: decide every proposal, record why, act on the verdict.

Each proposal is decided in its own transaction that first takes the policy
lock (a write on the automation_state row), so two daemons deciding at once
see each other's requests and budgets. The decision row, and the request it
creates (pending approval, or already claimed for an automatic run), commit
together; the command runs after the commit, outside the lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ssop.core.actions.guards.rails import GuardsFor
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import SsopError
from ssop.core.lifecycle import Trigger
from ssop.core.models import ApprovalRequest, PolicyDecision
from ssop.core.models.keys import open_key
from ssop.core.notify.events import EventKind, Notification, Notifier
from ssop.core.policy import conditions
from ssop.core.policy.facts import gather
from ssop.core.policy.gates import (
    Decision,
    Facts,
    decide,
    effective_risk,
    supersedes,
)
from ssop.core.policy.ports import Proposal, ReadingsSource, RecommendationSource
from ssop.core.policy.prepare import Prepared, prepare
from ssop.core.policy.runner import BASELINE_KEY, RequestRunner, RequestRunResult
from ssop.core.policy.states import Gate, Outcome, RequestStatus
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.retry import retrying_transaction
from ssop.core.work import ShouldStop, StepReport, never_stop

log = logging.getLogger(__name__)

MODEL_ONLY_KEY = "model_only"


@dataclass(kw_only=True, frozen=True)
class Decided:
    """One recorded decision, and the request it made or joined."""

    decision_id: int
    proposal: Proposal
    outcome: Outcome
    gate: Gate
    detail: str
    request_id: int | None = None


@dataclass
class ProcessReport(StepReport):
    """What one pass over proposals did; the daemon step reads ``summary``."""

    decided: list[Decided] = field(default_factory=list)
    runs: list[RequestRunResult] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        bad_runs = sum(1 for r in self.runs if r.status != RequestStatus.SUCCEEDED)
        return bad_runs + len(self.errors)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.decided if d.outcome is outcome)

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o.value}" for o in Outcome if self.count(o)]
        return f"{len(self.decided)} decision(s)" + (
            f": {', '.join(parts)}" if parts else ""
        )


class RemediationService:
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
        source: Callable[[], RecommendationSource | None] = lambda: None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.policy = settings.policy
        self.runner = runner
        self.readings = readings
        self.notifier = notifier
        self.guards = guards
        self.source = source

    def remediate_new(self, should_stop: ShouldStop = never_stop) -> ProcessReport:
        """The daemon step: decide the recommendations not decided yet.

        The newest analysis already seen is asked for again, in case a pass
        stopped half-way through it; decided recommendations are skipped.
        """
        source = self.source()
        if source is None:
            return ProcessReport()
        with self.sessions() as s:
            since = PolicyRepo(s).last_analysis_id()
        return self.process(source.new_proposals(since), should_stop)

    def process(
        self, proposals: Sequence[Proposal], should_stop: ShouldStop = never_stop
    ) -> ProcessReport:
        """Decide each proposal, record it, and run what policy allows.

        A proposal that cannot be decided (the store failed) is reported in
        ``errors`` and left undecided; the next pass proposes it again.
        """
        report = ProcessReport()
        for proposal in proposals:
            if should_stop():
                break
            try:
                decided = self._decide(proposal)
            except SsopError as e:
                # one bad proposal (or a store hiccup) must not stop the others
                log.error(
                    "policy: %s on %s: not decided: %s",
                    proposal.action,
                    proposal.server,
                    e.message,
                )
                report.errors.append(
                    f"{proposal.server}/{proposal.action}: {e.message}"
                )
                continue
            if decided is None:
                report.skipped += 1
                continue
            report.decided.append(decided)
            if decided.outcome is Outcome.EXECUTED and decided.request_id is not None:
                result = self.runner.run_claimed(decided.request_id)
                self._link_execution(decided.decision_id, result)
                report.runs.append(result)
        return report

    def _decide(self, p: Proposal) -> Decided | None:
        now = self.clock.now()
        before = conditions.baseline(p.action, p.params, self.readings.latest(p.server))
        # Daemons decide at once: a lost lock race (on a fresh store, the
        # first inserts of the policy lock's row deadlock) is run again.
        made = retrying_transaction(
            self.sessions,
            lambda s: self._decide_in(s, p, before, now),
            clock=self.clock,
            what=f"decision on {p.action} for {p.server}",
        )
        if made is None:
            return None
        decision, prep, decided, new = made
        if new and decision.outcome is Outcome.QUEUED:
            self._announce(p, prep, decided)
        log.info(
            "policy: %s on %s: %s (%s)",
            p.action,
            p.server,
            decision.outcome,
            decision.gate,
        )
        return decided

    def _decide_in(
        self, s: Session, p: Proposal, before: dict[str, Any], now: datetime
    ) -> tuple[Decision, Prepared, Decided, bool] | None:
        """Decide and record in one transaction; None for a duplicate."""
        PolicyRepo(s).lock(now)
        prep = prepare(
            s, p.server, p.action, p.params, self.guards, self.settings.ssh.use_sudo
        )
        facts = gather(s, p, prep, now, self.policy)
        decision = decide(p, facts, self.policy)
        if decision.gate is Gate.DUPLICATE:
            return None
        decision, request_id, new = self._act(s, p, prep, facts, decision, before)
        decided = self._record(s, p, prep, facts, decision, request_id)
        return decision, prep, decided, new

    def _act(
        self,
        s: Session,
        p: Proposal,
        prep: Prepared,
        facts: Facts,
        decision: Decision,
        before: dict[str, Any],
    ) -> tuple[Decision, int | None, bool]:
        """Make the request a decision calls for: (decision, request id, new?)."""
        if decision.outcome is Outcome.QUEUED and facts.open_request is not None:
            return decision, facts.open_request.id, False
        if decision.outcome not in (Outcome.QUEUED, Outcome.EXECUTED):
            return decision, None, False
        if facts.open_request is not None and supersedes(p, facts):
            _supersede(s, facts.open_request.id, facts.now)
        row = self._request_row(p, prep, facts, decision, before)
        if ApprovalRepo(s).add(row) is None:
            # only a writer that skipped the policy lock can get here
            clash = Decision(
                Outcome.BLOCKED, Gate.COOLDOWN, "the same change is already open"
            )
            return clash, None, False
        return decision, row.id, True

    def _request_row(
        self,
        p: Proposal,
        prep: Prepared,
        facts: Facts,
        decision: Decision,
        before: dict[str, Any],
    ) -> ApprovalRequest:
        now = facts.now
        auto = decision.outcome is Outcome.EXECUTED
        row = ApprovalRequest(
            created_at=now,
            expires_at=now + timedelta(hours=self.policy.approval_ttl_hours),
            status=RequestStatus.CLAIMED if auto else RequestStatus.PENDING_APPROVAL,
            trigger=Trigger.AUTO if auto else Trigger.POLICY,
            server_name=p.server,
            action_name=p.action,
            params=dict(prep.strings),
            params_key=prep.key,
            command=prep.command,
            spec_hash=prep.spec_hash,
            analysis_id=p.analysis_id,
            recommendation_id=p.recommendation_id,
            reasoning=p.reason,
            evidence=pinned_evidence(p.evidence, before, model_only=p.model_only),
            effective_risk=effective_risk(p, facts).value,
            confidence=p.confidence,
            gate=decision.gate.value,
            requested_by="policy",
            open_key=open_key(p.server, p.action, prep.key),
        )
        if auto:
            _auto_claim(row, now, self.runner.runner_id)
        return row

    def _record(
        self,
        s: Session,
        p: Proposal,
        prep: Prepared,
        facts: Facts,
        decision: Decision,
        request_id: int | None,
    ) -> Decided:
        row = PolicyRepo(s).add_decision(
            PolicyDecision(
                at=facts.now,
                analysis_id=p.analysis_id,
                recommendation_id=p.recommendation_id,
                server_name=p.server[:64],
                action_name=p.action[:64],
                params=dict(prep.strings),
                params_key=prep.key,
                effective_risk=effective_risk(p, facts).value,
                confidence=p.confidence,
                outcome=decision.outcome.value,
                gate=decision.gate.value,
                detail=decision.detail,
                request_id=request_id,
            )
        )
        assert row.id is not None
        return Decided(
            decision_id=row.id,
            proposal=p,
            outcome=decision.outcome,
            gate=decision.gate,
            detail=decision.detail,
            request_id=request_id,
        )

    def _link_execution(self, decision_id: int, result: RequestRunResult) -> None:
        with self.sessions() as s, s.begin():
            PolicyRepo(s).set_decision_links(
                decision_id, result.execution_id, result.request_id
            )

    def _announce(self, p: Proposal, prep: Prepared, decided: Decided) -> None:
        self.notifier.notify(
            Notification(
                EventKind.APPROVAL_REQUESTED,
                self.clock.now(),
                f"approval requested: {p.action} on {p.server} "
                f"(request #{decided.request_id})",
                server=p.server,
                action=p.action,
                params=prep.strings,
                request_id=decided.request_id,
                risk=p.effective_risk.value,
                actor="policy",
                detail=f"{decided.gate.value}: {decided.detail}",
            )
        )


def _supersede(s: Session, request_id: int, now: datetime) -> None:
    """Close the pending model-only request a detector's advice now covers."""
    ApprovalRepo(s).move(
        request_id,
        [RequestStatus.PENDING_APPROVAL],
        RequestStatus.CANCELLED,
        close=True,
        closed_at=now,
        closed_reason="superseded: a detector recommended the same change",
    )


def _auto_claim(row: ApprovalRequest, now: datetime, runner_id: str) -> None:
    row.decided_by, row.decided_at = "policy", now
    row.claimed_by, row.claimed_at = runner_id, now


def pinned_evidence(
    evidence: object, before: dict[str, Any], *, model_only: bool = False
) -> dict[str, Any]:
    """The analysis' evidence as plain JSON, plus the baseline readings, and
    the model-only label on advice no detector made."""
    plain = json.loads(json.dumps(evidence or {}, default=str))
    pinned = plain if isinstance(plain, dict) else {"evidence": plain}
    pinned[BASELINE_KEY] = before
    if model_only:
        pinned[MODEL_ONLY_KEY] = True
    return pinned
