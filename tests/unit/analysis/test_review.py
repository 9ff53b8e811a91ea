"""The reviewer: allow-list, server, parameter validation, observation, risk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import AnalyserProposal, Recommendation
from ssop.core.analysis.review import Reviewer
from ssop.core.analysis.rules import RuleEngine
from ssop.core.config.schema import AnalysisSection
from tests.support.analysis import context, reading

DOWN = reading(
    failed=("nginx.service",),
    procs=(("java", 4242, 80.0, 3_000_000), ("sshd", 7, 0.0, 8_000)),
)
CTX = context(
    [DOWN] * 5, actions=["restart_service", "kill_process", "block_ip_firewalld"]
)
FINDINGS = RuleEngine(AnalysisSection()).analyse(CTX).findings
REVIEWER = Reviewer.of(CTX, GuardConfig(), FINDINGS)


def review(
    action: str,
    params: Mapping[str, object],
    server: str | None = None,
    risk: RiskLevel | None = None,
) -> Recommendation:
    proposal = AnalyserProposal(action, params, "because", server=server, risk=risk)
    return REVIEWER.review_one(proposal, "model")


def test_an_observed_failed_unit_is_accepted_with_evidence() -> None:
    rec = review("restart_service", {"service": "nginx"}, server="web1")
    assert rec.accepted, rec.reject_reason
    assert rec.params == {"service": "nginx"}
    assert rec.evidence["observed"]["service"] == {"unit_failed": "nginx"}
    assert rec.evidence["observed"]["sample_id"] == 5


@pytest.mark.parametrize(
    ("action", "params", "server", "why"),
    [
        ("reboot_system", {}, "web1", "not assigned to web1"),
        ("rm_rf", {}, "web1", "not assigned to web1"),
        ("restart_service", {"service": "nginx"}, "db1", "names server 'db1'"),
        ("restart_service", {"service": "nginx; rm -rf /"}, None, "not a valid"),
        ("restart_service", {"service": "$(reboot)"}, None, "not a valid"),
        ("restart_service", {"service": "-nginx"}, None, "must not start with '-'"),
        ("restart_service", {"service": "postgres"}, None, "not failed"),
        ("restart_service", {"service": "sshd"}, None, "protected unit"),
        ("restart_service", {}, None, "missing required parameter"),
        ("restart_service", {"service": "nginx", "x": "1"}, None, "unknown parameter"),
        ("kill_process", {"process": "postgres"}, None, "not running"),
        ("kill_process", {"process": "sshd"}, None, "protected process"),
        ("kill_process", {"process": "java`id`"}, None, "not a valid"),
        ("block_ip_firewalld", {"ip": "203.0.113.9"}, None, "not seen in the evidence"),
        ("block_ip_firewalld", {"ip": "127.0.0.1"}, None, "loopback"),
    ],
)
def test_bad_advice_is_rejected_with_the_reason(
    action: str, params: dict[str, object], server: str | None, why: str
) -> None:
    rec = review(action, params, server=server)
    assert not rec.accepted
    assert rec.status == "rejected"
    assert why in rec.reject_reason


def test_effective_risk_is_never_lowered_by_the_model() -> None:
    rec = review("kill_process", {"process": "java"}, risk=RiskLevel.LOW)
    assert rec.accepted, rec.reject_reason
    assert rec.intrinsic_risk is RiskLevel.MEDIUM
    assert rec.rule_risk is RiskLevel.HIGH
    assert rec.effective_risk is RiskLevel.HIGH
    assert rec.model_risk is RiskLevel.LOW


def test_a_flapping_unit_is_not_restarted() -> None:
    flapping = [replace(f, kind="unit_flapping") for f in FINDINGS]
    reviewer = Reviewer.of(CTX, GuardConfig(), flapping)
    rec = reviewer.review_one(
        AnalyserProposal("restart_service", {"service": "nginx.service"}, "r"), "rules"
    )
    assert not rec.accepted and "flapping" in rec.reject_reason


def test_repeats_are_rejected_and_rejections_keep_inert_capped_text() -> None:
    proposals = [
        AnalyserProposal("restart_service", {"service": "nginx"}, "one"),
        AnalyserProposal("restart_service", {"service": "nginx"}, "two"),
        AnalyserProposal("evil\x1b[31m", {"k": "v" * 500}, "\x00reason\u202e"),
    ]
    first, second, evil = REVIEWER.review(proposals, "model")
    assert first.accepted and not second.accepted
    assert "repeats" in second.reject_reason
    assert evil.action == "evil[31m"
    assert len(str(evil.params["k"])) == 100
    assert evil.reason == "reason"
    assert evil.effective_risk is RiskLevel.HIGH  # unknown action: assume the worst
