"""Service reports become step outcomes without core importing the daemon."""

from __future__ import annotations

from dataclasses import dataclass

from ssop.daemon.loop import StepOutcome
from ssop.daemon.steps import as_outcome


@dataclass(frozen=True)
class CrawlReport:
    crawled: int
    failed: int

    def summary(self) -> str:
        return f"crawled {self.crawled} servers, {self.failed} failed"


@dataclass(frozen=True)
class AnalysisReport:
    summary: str
    degraded: bool


def test_a_report_with_a_summary_method_and_failures() -> None:
    assert as_outcome(CrawlReport(50, 2)) == StepOutcome(
        summary="crawled 50 servers, 2 failed", failed=2
    )


def test_a_report_with_a_summary_attribute_and_degraded_flag() -> None:
    assert as_outcome(AnalysisReport("llm down, rules used", True)) == StepOutcome(
        summary="llm down, rules used", degraded=True
    )


def test_none_an_outcome_and_anything_else() -> None:
    assert as_outcome(None) == StepOutcome()
    outcome = StepOutcome(summary="x", failed=1)
    assert as_outcome(outcome) is outcome
    assert as_outcome(7) == StepOutcome(summary="7")
