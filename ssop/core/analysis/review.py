"""Guard rails on advice: every proposal is accepted or rejected with a reason.

The rule engine's proposals and the model's go through the same review. A
proposal survives only if it is for this server, names an action assigned
to it, its parameters pass their types and guard rails, and every value
that names something on the host was observed there (a unit seen failed,
a process seen running, an address seen in the evidence). Its effective
risk is computed here: the highest of the action's intrinsic risk and the
rule engine's view, whatever the analyser said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    Sample,
)
from ssop.core.analysis.rules import RESTARTS, flapping_units, rule_risk
from ssop.core.errors import InvalidInput

REASON_CAP = 1000
RAW_VALUE_CAP = 100
MAX_RAW_PARAMS = 10
MIN_PRIORITY, MAX_PRIORITY = 1, 9
Key = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Observed:
    """What the latest reading shows, for matching parameter values against."""

    sample: Sample | None = None
    failed_units: frozenset[str] = frozenset()  # unit stems
    processes: Mapping[str, int] = field(default_factory=dict)  # name -> a pid
    addresses: frozenset[str] = frozenset()

    @classmethod
    def of(cls, ctx: AnalysisContext) -> Observed:
        latest = ctx.latest
        if latest is None:
            return cls()
        return cls(
            sample=latest,
            failed_units=frozenset(unit_stem(u) for u in latest.failed_units),
            processes={p.name: p.pid for p in reversed(latest.processes)},
        )


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
        cls, ctx: AnalysisContext, guards: GuardConfig, findings: Sequence[Finding]
    ) -> Reviewer:
        return cls(ctx.server, ctx.allowed, guards, Observed.of(ctx), tuple(findings))

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
                why = "repeats an earlier recommendation"
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
        except InvalidInput as e:
            return self._rejected(proposal, source, e.message)
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
        )

    def _check(
        self, proposal: AnalyserProposal
    ) -> tuple[ActionSpec, dict[str, str], dict[str, Any]]:
        if proposal.server is not None and proposal.server != self.server:
            raise InvalidInput(
                f"names server {clean(proposal.server, 64)!r}, not {self.server!r}"
            )
        allowed = self.allowed.get(proposal.action)
        if allowed is None:
            raise InvalidInput(
                f"action {clean(proposal.action, 64)!r} "
                f"is not assigned to {self.server}"
            )
        spec = allowed.spec
        values = validate_params(spec, proposal.params, self.guards).as_strings()
        return spec, values, self._match(spec, values)

    def _match(self, spec: ActionSpec, values: Mapping[str, str]) -> dict[str, Any]:
        """Evidence for each value that names something on the host, or refuse."""
        seen: dict[str, Any] = {}
        for param in spec.params:
            value = values[param.name]
            what = self._seen(spec, param.type, value)
            if what is not None:
                seen[param.name] = what
        sample = self.observed.sample
        if seen and sample is not None:
            seen.update(sample_id=sample.id, at=sample.at.isoformat())
        return {"observed": seen} if seen else {}

    def _seen(self, spec: ActionSpec, type_: str, value: str) -> Any:
        obs = self.observed
        if type_ == "unit":
            if unit_stem(value) not in obs.failed_units:
                raise InvalidInput(f"unit {value} is not failed in the latest reading")
            if spec.name in RESTARTS and unit_stem(value) in flapping_units(
                self.findings
            ):
                raise InvalidInput(f"unit {value} is flapping: restarts do not help")
            return {"unit_failed": value}
        if type_ == "process":
            if value not in obs.processes:
                raise InvalidInput(
                    f"process {value} is not running in the latest reading"
                )
            return {"process_running": value, "pid": obs.processes[value]}
        if type_ in ("ip", "cidr"):
            if value not in obs.addresses:
                raise InvalidInput(f"address {value} was not seen in the evidence")
            return {"address_seen": value}
        return None

    def _rejected(
        self, proposal: AnalyserProposal, source: str, why: str
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
            reject_reason=clean(why, REASON_CAP),
            evidence=dict(proposal.evidence),
        )


def _priority(value: int) -> int:
    return min(MAX_PRIORITY, max(MIN_PRIORITY, int(value)))


def _raw_params(params: Mapping[str, object]) -> dict[str, str]:
    """What was proposed, as inert capped text, for the record of a rejection."""
    items = list(params.items())[:MAX_RAW_PARAMS]
    return {clean(str(k), 32): clean(str(v), RAW_VALUE_CAP) for k, v in items}
