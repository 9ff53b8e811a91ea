"""Guard rails on advice: every proposal is accepted or rejected with a reason.

The rule engine's proposals and the model's go through the same review. A
proposal survives only if it is for this server, names an action assigned
to it, its parameters pass their types and guard rails, and it is grounded
in what ssop observed (``grounding``: a unit seen failed, a process seen
running, an address seen failing to log in, a file system over its
threshold); otherwise it is rejected, as ``ungrounded`` when evidence is
missing. Its effective risk is computed here: the highest of the action's
intrinsic risk and the rule engine's view, whatever the analyser said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ssop.core.actions.guards.checks import GuardConfig, unit_stem
from ssop.core.actions.readings import clean
from ssop.core.actions.render import validate_params
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.analysis.base import (
    AllowedAction,
    AnalyserProposal,
    AnalysisContext,
    Finding,
    Recommendation,
    RejectCode,
)
from ssop.core.analysis.grounding import Observed, ground
from ssop.core.analysis.rules import RESTARTS, flapping_units, rule_risk
from ssop.core.config.schema import AnalysisSection
from ssop.core.errors import InvalidInput

REASON_CAP = 1000
RAW_VALUE_CAP = 100
MAX_RAW_PARAMS = 10
MIN_PRIORITY, MAX_PRIORITY = 1, 9
Key = tuple[str, tuple[tuple[str, str], ...]]


class Rejection(Exception):
    """A proposal the guard rails refuse: what kind of refusal, and why."""

    def __init__(self, code: RejectCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Reviewer:
    """Reviews proposals for one server against its allow-list and observations."""

    server: str
    allowed: Mapping[str, AllowedAction]
    guards: GuardConfig
    observed: Observed
    findings: Sequence[Finding] = ()

    @classmethod
    def of(
        cls,
        ctx: AnalysisContext,
        guards: GuardConfig,
        findings: Sequence[Finding],
        cfg: AnalysisSection,
    ) -> Reviewer:
        observed = Observed.of(ctx, cfg)
        return cls(ctx.server, ctx.allowed, guards, observed, tuple(findings))

    def review(
        self, proposals: Sequence[AnalyserProposal], source: str
    ) -> list[Recommendation]:
        """Each proposal accepted or rejected; repeating an accepted one is rejected."""
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        out = []
        for proposal in proposals:
            rec = self.review_one(proposal, source)
            key = (
                rec.action,
                tuple(sorted((k, str(v)) for k, v in rec.params.items())),
            )
            if rec.accepted and key in seen:
                why = Rejection(
                    RejectCode.REPEATED, "repeats an earlier recommendation"
                )
                rec = self._rejected(proposal, source, why)
            elif rec.accepted:
                seen.add(key)
            out.append(rec)
        return out

    def key(self, rec: Recommendation) -> Key:
        """What makes two recommendations the same (``nginx`` is ``nginx.service``)."""
        allowed = self.allowed.get(rec.action)
        units = (
            {p.name for p in allowed.spec.params if p.type == "unit"}
            if allowed
            else set()
        )
        return rec.action, tuple(
            sorted(
                (k, unit_stem(str(v)) if k in units else str(v))
                for k, v in rec.params.items()
            )
        )

    def review_one(self, proposal: AnalyserProposal, source: str) -> Recommendation:
        try:
            spec, values, seen = self._check(proposal)
        except Rejection as e:
            return self._rejected(proposal, source, e)
        view = rule_risk(spec.name, values, self.findings)
        return Recommendation(
            source=source,
            action=spec.name,
            params=values,
            reason=clean(proposal.reason, REASON_CAP),
            priority=_priority(proposal.priority),
            effective_risk=max(spec.risk, view) if view else spec.risk,
            intrinsic_risk=spec.risk,
            rule_risk=view,
            model_risk=proposal.risk if source == "model" else None,
            evidence={**proposal.evidence, **seen},
            confidence=proposal.confidence,
        )

    def _check(
        self, proposal: AnalyserProposal
    ) -> tuple[ActionSpec, dict[str, str], dict[str, Any]]:
        if proposal.server is not None and proposal.server != self.server:
            raise Rejection(
                RejectCode.WRONG_SERVER,
                f"names server {clean(proposal.server, 64)!r}, not {self.server!r}",
            )
        allowed = self.allowed.get(proposal.action)
        if allowed is None:
            raise Rejection(
                RejectCode.NOT_ASSIGNED,
                f"action {clean(proposal.action, 64)!r} "
                f"is not assigned to {self.server}",
            )
        spec = allowed.spec
        try:
            checked = validate_params(spec, proposal.params, self.guards)
        except InvalidInput as e:
            raise Rejection(RejectCode.BAD_PARAMS, e.message) from e
        values = checked.as_strings()
        self._not_flapping(spec, values)
        try:
            seen = ground(spec, values, self.observed, self.findings)
        except InvalidInput as e:
            raise Rejection(RejectCode.UNGROUNDED, e.message) from e
        return spec, values, {"observed": seen} if seen else {}

    def _not_flapping(self, spec: ActionSpec, values: Mapping[str, str]) -> None:
        if spec.name not in RESTARTS:
            return
        flapping = flapping_units(self.findings)
        for param in spec.params:
            value = values[param.name]
            if param.type == "unit" and unit_stem(value) in flapping:
                raise Rejection(
                    RejectCode.FLAPPING,
                    f"unit {value} is flapping: restarts do not help",
                )

    def _rejected(
        self, proposal: AnalyserProposal, source: str, why: Rejection
    ) -> Recommendation:
        allowed = self.allowed.get(proposal.action)
        intrinsic = allowed.spec.risk if allowed else None
        return Recommendation(
            source=source,
            action=clean(proposal.action, 64),
            params=_raw_params(proposal.params),
            reason=clean(proposal.reason, REASON_CAP),
            priority=_priority(proposal.priority),
            effective_risk=intrinsic or RiskLevel.HIGH,
            intrinsic_risk=intrinsic,
            model_risk=proposal.risk if source == "model" else None,
            accepted=False,
            reject_reason=clean(why.message, REASON_CAP),
            reject_code=why.code,
            evidence=dict(proposal.evidence),
            confidence=proposal.confidence,
        )


def _priority(value: int) -> int:
    return min(MAX_PRIORITY, max(MIN_PRIORITY, int(value)))


def _raw_params(params: Mapping[str, object]) -> dict[str, str]:
    """What was proposed, as inert capped text, for the record of a rejection."""
    items = list(params.items())[:MAX_RAW_PARAMS]
    return {clean(str(k), 32): clean(str(v), RAW_VALUE_CAP) for k, v in items}
