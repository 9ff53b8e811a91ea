"""The reviewer: allow-list, server, parameter validation, grounding, risk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import AnalyserProposal, Recommendation, RejectCode
from ssop.core.analysis.review import Reviewer
from ssop.core.analysis.rules import RuleEngine
from ssop.core.config.schema import AnalysisSection
from tests.support.analysis import context, reading

DOWN = reading(
    failed=("nginx.service",),
    procs=(("java", 4242, 80.0, 3_000_000), ("sshd", 7, 0.0, 8_000)),
)
ACTIONS = [
    "restart_service",
    "kill_process",
    "block_ip_firewalld",
    "cleanup_temp_files",
    "cleanup_log_files",
    "reboot_system",
]
CFG = AnalysisSection()
CTX = context([DOWN] * 5, actions=ACTIONS)
FINDINGS = RuleEngine(CFG).analyse(CTX).findings
REVIEWER = Reviewer.of(CTX, GuardConfig(), FINDINGS, CFG)


def reviewer_of(*readings: dict[str, Any]) -> Reviewer:
    ctx = context(list(readings), actions=ACTIONS)
    return Reviewer.of(ctx, GuardConfig(), RuleEngine(CFG).analyse(ctx).findings, CFG)


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
    ("action", "params", "server", "why", "code"),
    [
        ("rm_rf", {}, "web1", "not assigned to web1", RejectCode.NOT_ASSIGNED),
        (
            "restart_service",
            {"service": "nginx"},
            "db1",
            "names server 'db1'",
            RejectCode.WRONG_SERVER,
        ),
        (
            "restart_service",
            {"service": "nginx; rm -rf /"},
            None,
            "not a valid",
            RejectCode.BAD_PARAMS,
        ),
        (
            "restart_service",
            {"service": "$(reboot)"},
            None,
            "not a valid",
            RejectCode.BAD_PARAMS,
        ),
        (
            "restart_service",
            {"service": "-nginx"},
            None,
            "must not start with '-'",
            RejectCode.BAD_PARAMS,
        ),
        (
            "restart_service",
            {"service": "postgres"},
            None,
            "ungrounded: unit",
            RejectCode.UNGROUNDED,
        ),
        (
            "restart_service",
            {"service": "sshd"},
            None,
            "protected unit",
            RejectCode.BAD_PARAMS,
        ),
        (
            "restart_service",
            {},
            None,
            "missing required parameter",
            RejectCode.BAD_PARAMS,
        ),
        (
            "restart_service",
            {"service": "nginx", "x": "1"},
            None,
            "unknown parameter",
            RejectCode.BAD_PARAMS,
        ),
        (
            "kill_process",
            {"process": "postgres"},
            None,
            "ungrounded: process",
            RejectCode.UNGROUNDED,
        ),
        (
            "kill_process",
            {"process": "sshd"},
            None,
            "protected process",
            RejectCode.BAD_PARAMS,
        ),
        (
            "kill_process",
            {"process": "java`id`"},
            None,
            "not a valid",
            RejectCode.BAD_PARAMS,
        ),
        (
            "block_ip_firewalld",
            {"ip": "203.0.113.9"},
            None,
            "ungrounded: address 203.0.113.9 was not seen in the failed-login",
            RejectCode.UNGROUNDED,
        ),
        (
            "block_ip_firewalld",
            {"ip": "127.0.0.1"},
            None,
            "loopback",
            RejectCode.BAD_PARAMS,
        ),
    ],
)
def test_bad_advice_is_rejected_with_the_reason_and_its_code(
    action: str,
    params: dict[str, object],
    server: str | None,
    why: str,
    code: RejectCode,
) -> None:
    rec = review(action, params, server=server)
    assert not rec.accepted
    assert rec.status == "rejected"
    assert why in rec.reject_reason
    assert rec.reject_code is code


def test_effective_risk_is_never_lowered_by_the_model() -> None:
    tight = reading(memory=97, procs=(("java", 4242, 1.0, 3_000_000),))
    reviewer = reviewer_of(*[tight] * 5)
    proposal = AnalyserProposal(
        "kill_process", {"process": "java"}, "r", risk=RiskLevel.LOW
    )
    rec = reviewer.review_one(proposal, "model")
    assert rec.accepted, rec.reject_reason
    assert rec.intrinsic_risk is RiskLevel.MEDIUM
    assert rec.rule_risk is RiskLevel.HIGH  # killing the memory hog: a human decides
    assert rec.effective_risk is RiskLevel.HIGH
    assert rec.model_risk is RiskLevel.LOW


def test_a_cleanup_needs_a_full_file_system_holding_its_folders() -> None:
    days = {"days": "1"}
    rec = REVIEWER.review_one(
        AnalyserProposal("cleanup_temp_files", days, "r"), "model"
    )
    assert not rec.accepted
    assert rec.reject_reason.startswith("ungrounded: cleanup_temp_files: no file")
    full_tmp = reviewer_of(reading(mounts={"/tmp": 96.0}))
    temp = full_tmp.review_one(AnalyserProposal("cleanup_temp_files", days, "r"), "m")
    assert temp.accepted, temp.reject_reason
    assert temp.evidence["observed"]["mount"] == {
        "mount": "/tmp",
        "percent": 96.0,
        "folder": "/tmp",
    }
    logs = full_tmp.review_one(AnalyserProposal("cleanup_log_files", days, "r"), "m")
    assert not logs.accepted and "ungrounded" in logs.reject_reason


def test_an_address_seen_failing_to_log_in_may_be_blocked() -> None:
    seen = reviewer_of(reading(logins={"203.0.113.9": 3}))
    rec = seen.review_one(
        AnalyserProposal("block_ip_firewalld", {"ip": "203.0.113.9"}, "r"), "model"
    )
    assert rec.accepted, rec.reject_reason
    assert rec.evidence["observed"]["ip"] == {"address_seen": ["203.0.113.9"]}


def test_a_change_naming_nothing_needs_a_finding() -> None:
    healthy = reviewer_of(*[reading()] * 5)
    rec = healthy.review_one(AnalyserProposal("reboot_system", {}, "r"), "model")
    assert not rec.accepted
    assert rec.reject_reason == (
        "ungrounded: reboot_system names nothing ssop observed "
        "and no detector found anything"
    )
    assert REVIEWER.review_one(AnalyserProposal("reboot_system", {}, "r"), "m").accepted


def test_a_flapping_unit_is_not_restarted() -> None:
    flapping = [replace(f, kind="unit_flapping") for f in FINDINGS]
    reviewer = Reviewer.of(CTX, GuardConfig(), flapping, CFG)
    rec = reviewer.review_one(
        AnalyserProposal("restart_service", {"service": "nginx.service"}, "r"), "rules"
    )
    assert not rec.accepted and "flapping" in rec.reject_reason
    assert rec.reject_code is RejectCode.FLAPPING


def test_repeats_are_rejected_and_rejections_keep_inert_capped_text() -> None:
    proposals = [
        AnalyserProposal("restart_service", {"service": "nginx"}, "one"),
        AnalyserProposal("restart_service", {"service": "nginx"}, "two"),
        AnalyserProposal("evil\x1b[31m", {"k": "v" * 500}, "\x00reason\u202e"),
    ]
    first, second, evil = REVIEWER.review(proposals, "model")
    assert first.accepted and not second.accepted
    assert "repeats" in second.reject_reason
    assert second.reject_code is RejectCode.REPEATED and first.reject_code is None
    assert evil.action == "evil[31m"
    assert len(str(evil.params["k"])) == 100
    assert evil.reason == "reason"
    assert evil.effective_risk is RiskLevel.HIGH  # unknown action: assume the worst
