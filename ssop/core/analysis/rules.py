"""The rule engine: the detectors over a server's recent readings, as one analyser.

Every detector (``analysis/detectors/``) holds a condition to N of the last M
readings, and the latest, before it becomes a finding, so one spike changes
nothing. Proposals are made only for actions assigned to the server, with
parameters taken from what was observed, each with the risk and the
confidence of its own finding. A host whose latest crawl failed gets no
proposal: its readings are stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ssop.core.actions.builtin import CLEANUP_ROOTS
from ssop.core.actions.guards.checks import unit_stem
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import (
    AnalyserProposal,
    AnalysisContext,
    AnalysisResult,
    Finding,
)
from ssop.core.analysis.detectors import READING_DETECTORS
from ssop.core.analysis.detectors.reach import detect_unreachable
from ssop.core.analysis.detectors.units import RESTARTS
from ssop.core.config.schema import AnalysisSection

__all__ = ["RESTARTS", "RuleEngine", "evaluate", "flapping_units", "rule_risk"]

ANALYZER = "rules"
# The rule engine's view of actions whose harm does not depend on the reading.
ACTION_FLOOR: Mapping[str, RiskLevel] = {
    "stop_service": RiskLevel.HIGH,
    "reboot_system": RiskLevel.HIGH,
}
ProposalKey = tuple[str, tuple[tuple[str, str], ...]]


def proposal_key(p: AnalyserProposal) -> ProposalKey:
    return p.action, tuple(sorted((k, str(v)) for k, v in p.params.items()))


def evaluate(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> tuple[list[Finding], list[AnalyserProposal]]:
    """Findings and proposals for ``ctx``; stale readings yield no proposal."""
    unreachable, stale = detect_unreachable(ctx, cfg)
    if unreachable is not None:
        return [unreachable], []
    if stale or ctx.latest is None:
        return [], []
    findings: list[Finding] = []
    proposals: dict[ProposalKey, AnalyserProposal] = {}
    for detector in READING_DETECTORS:
        for finding, made in detector(ctx, cfg):
            findings.append(finding)
            for p in made:
                proposals.setdefault(proposal_key(p), p)
    return findings, list(proposals.values())


def rule_risk(
    action: str, values: Mapping[str, object], findings: Sequence[Finding]
) -> RiskLevel | None:
    """The rule engine's view of one recommendation: the action's floor, and the
    risk (and remedy risk) of every finding about what the parameters name."""
    risks = [ACTION_FLOOR[action]] if action in ACTION_FLOOR else []
    named = {unit_stem(str(v)) for v in values.values()}
    for f in findings:
        if f.subject and unit_stem(f.subject) in named:
            risks += [f.risk, f.remedy_risk or f.risk]
    roots = set(CLEANUP_ROOTS.get(action, ()))
    risks += [
        f.risk
        for f in findings
        if f.kind == "disk_full" and roots & set(f.evidence.get("folders", ()))
    ]
    return max(risks, default=None)


def flapping_units(findings: Sequence[Finding]) -> frozenset[str]:
    return frozenset(
        unit_stem(f.subject) for f in findings if f.kind == "unit_flapping"
    )


def _summary(findings: Sequence[Finding], ctx: AnalysisContext, stale: bool) -> str:
    if findings:
        more = f" (+{len(findings) - 2} more)" if len(findings) > 2 else ""
        return "; ".join(f.message for f in findings[:2]) + more
    if not ctx.samples and not ctx.failures:
        return "no readings yet"
    if stale:
        return "the latest crawl failed; waiting to see whether it keeps failing"
    return "no problem found in the latest readings"


def _confidence(
    findings: Sequence[Finding], ctx: AnalysisContext, cfg: AnalysisSection
) -> float:
    """How much of the window backs the conclusion as a whole."""
    if findings:
        return min(f.confidence for f in findings)
    return round(min(1.0, len(ctx.samples[-cfg.of_last :]) / cfg.of_last), 2)


class RuleEngine:
    """The default analyser: needs no key, never leaves the process."""

    name = ANALYZER

    def __init__(self, cfg: AnalysisSection) -> None:
        self.cfg = cfg

    def analyse(self, context: AnalysisContext) -> AnalysisResult:
        findings, proposals = evaluate(context, self.cfg)
        _, stale = detect_unreachable(context, self.cfg)
        summary = _summary(findings, context, stale)
        return AnalysisResult(
            analyzer=ANALYZER,
            summary=summary,
            reasoning="\n".join(f.message for f in findings) or summary,
            risk=max((f.risk for f in findings), default=RiskLevel.LOW),
            confidence=_confidence(findings, context, self.cfg),
            proposals=tuple(proposals),
            findings=tuple(findings),
        )
