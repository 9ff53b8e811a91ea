"""Service reports become step outcomes through the one ``StepReport`` protocol."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ssop.core.analysis.service import PendingReport
from ssop.core.crawl.report import CrawlReport, HostReport
from ssop.core.policy.approvals import RequestBatchReport
from ssop.core.policy.reconcile import ReconcileReport
from ssop.core.policy.service import ProcessReport
from ssop.core.policy.verify import VerifyReport
from ssop.core.work import StepReport
from ssop.daemon.step import StepOutcome
from ssop.daemon.steps import outcome_of

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_a_crawl_report_brings_its_failures_and_degradation() -> None:
    hosts = (
        HostReport("web1", True, None, "", at=AT, duration_s=0.5),
        HostReport("web2", False, "timeout", "timed out", at=AT, duration_s=5.0),
    )
    report = CrawlReport(AT, 5.0, hosts, pending=1)
    assert outcome_of(report) == StepOutcome(
        summary="crawled 2 server(s) in 5.0s: 1 ok, 1 failed; "
        "1 result(s) wait for the store",
        failed=1,
        degraded=True,
    )


def test_an_analysis_report_with_the_llm_down() -> None:
    report = PendingReport(analysed=3, failed=1, degraded=True)
    assert outcome_of(report) == StepOutcome(
        summary="3 analysed, 0 reused, 1 failed (0 notices)", failed=1, degraded=True
    )


@pytest.mark.parametrize(
    ("report", "summary"),
    [
        (ProcessReport(), "0 decision(s)"),
        (RequestBatchReport("expired", ids=[4, 5]), "2 request(s) expired"),
        (VerifyReport(cleared=[1]), "1 cleared, 0 not cleared, 0 undetermined"),
        (ReconcileReport(), "0 request(s) and 0 execution(s) marked unknown"),
    ],
)
def test_reports_without_degradation_take_the_protocol_defaults(
    report: StepReport, summary: str
) -> None:
    assert outcome_of(report) == StepOutcome(summary=summary)
