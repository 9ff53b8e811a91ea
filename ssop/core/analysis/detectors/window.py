"""What every detector shares: the N-of-M window and how a proposal is made.

A condition must hold in ``analysis.need_readings`` of the last
``analysis.of_last`` readings, and in the latest one, before a detector
reports it: one spike changes nothing, and a condition that cleared is
left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import (
    AnalyserProposal,
    AnalysisContext,
    Finding,
    Sample,
)
from ssop.core.config.schema import AnalysisSection

LOW, MEDIUM, HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH
Detection = tuple[Finding, list[AnalyserProposal]]
Detector = Callable[[AnalysisContext, AnalysisSection], Iterator[Detection]]


@dataclass(frozen=True)
class Held:
    """How often a condition held in the window, and whether that is enough."""

    held: int
    of: int
    sustained: bool

    def text(self) -> str:
        return f"{self.held} of the last {self.of} readings"


def n_of_m(
    samples: Sequence[Sample], cond: Callable[[Sample], bool], cfg: AnalysisSection
) -> Held:
    window = samples[-cfg.of_last :]
    held = sum(1 for s in window if cond(s))
    enough = held >= cfg.need_readings and bool(window) and cond(window[-1])
    return Held(held, len(window), enough)


def where(sample: Sample) -> dict[str, object]:
    """The reading a finding was seen in, for its evidence."""
    return {"sample_id": sample.id, "at": sample.at.isoformat()}


def latest(ctx: AnalysisContext) -> Sample:
    """The newest reading; detectors run only when there is one."""
    assert ctx.latest is not None
    return ctx.latest


def propose(
    ctx: AnalysisContext,
    finding: Finding,
    action: str,
    params: Mapping[str, str],
    *,
    reason: str | None = None,
    priority: int = 1,
) -> list[AnalyserProposal]:
    """``action`` for ``finding``, if it is assigned to the server: at the
    finding's risk (its remedy risk when higher) and with its confidence."""
    if action not in ctx.allowed:
        return []
    risk = max(finding.risk, finding.remedy_risk or finding.risk)
    return [
        AnalyserProposal(
            action,
            dict(params),
            reason or finding.message,
            priority=priority,
            risk=risk,
            evidence=finding.evidence,
            confidence=finding.confidence,
        )
    ]


def withheld(finding: Finding, why: str) -> Detection:
    """``finding`` alone, saying why nothing is proposed for it."""
    return replace(finding, message=f"{finding.message}; not proposed: {why}"), []
