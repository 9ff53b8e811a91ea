"""The pure policy: every gate, in its order, with the default settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ssop.core.actions.spec import RiskLevel
from ssop.core.config.schema import PolicySection
from ssop.core.policy.gates import Facts, OpenRequest, blast_limit, decide
from ssop.core.policy.states import Gate, Outcome
from tests.support.policy import proposal

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
POLICY = PolicySection()
# automatic, medium-risk action on a healthy ten-server fleet: it runs
GOOD = Facts(now=NOW, automatic=True, action_risk=RiskLevel.MEDIUM, fleet_size=10)


def verdict(
    facts: Facts, policy: PolicySection = POLICY, **changes: Any
) -> tuple[Outcome, Gate]:
    p = replace(proposal(), **changes)
    d = decide(p, facts, policy)
    return d.outcome, d.gate


def test_everything_in_order_executes() -> None:
    assert verdict(GOOD) == (Outcome.EXECUTED, Gate.PASSED)


@pytest.mark.parametrize(
    ("changes", "gate"),
    [
        ({"duplicate": True}, Gate.DUPLICATE),
        ({"server_known": False}, Gate.UNKNOWN_SERVER),
        ({"server_enabled": False}, Gate.UNKNOWN_SERVER),
        ({"action_known": False}, Gate.UNKNOWN_ACTION),
        ({"action_read_only": True}, Gate.READ_ONLY),
        ({"assigned": False}, Gate.NOT_ASSIGNED),
        (
            {"invalid_params": "parameter 'service': sshd is protected"},
            Gate.INVALID_PARAMS,
        ),
    ],
)
def test_unactionable_proposals_are_dropped(
    changes: dict[str, object], gate: Gate
) -> None:
    assert verdict(replace(GOOD, **changes)) == (Outcome.DROPPED, gate)  # type: ignore[arg-type]


def test_a_recommendation_the_analysis_rejected_is_dropped() -> None:
    assert verdict(GOOD, rejected_reason="action not allowed") == (
        Outcome.DROPPED,
        Gate.REJECTED,
    )


@pytest.mark.parametrize(
    ("changes", "gate"),
    [
        ({"maintenance": "web1 in maintenance"}, Gate.MAINTENANCE),
        ({"last_same_change": NOW - timedelta(minutes=14)}, Gate.COOLDOWN),
        ({"open_request": OpenRequest(7, "running", "passed")}, Gate.COOLDOWN),
        ({"paused": "automation paused by ann"}, Gate.PAUSED),
        ({"server_auto_last_hour": 3}, Gate.BUDGET),
        ({"fleet_auto_last_hour": 20}, Gate.BUDGET),
        ({"running_auto": 2}, Gate.CONCURRENCY),
        ({"changed_servers": frozenset({"db1", "db2"})}, Gate.BLAST_RADIUS),
    ],
)
def test_limits_block_without_asking_anyone(
    changes: dict[str, object], gate: Gate
) -> None:
    assert verdict(replace(GOOD, **changes)) == (Outcome.BLOCKED, gate)  # type: ignore[arg-type]


def test_cooldown_ends_after_its_window() -> None:
    facts = replace(GOOD, last_same_change=NOW - timedelta(minutes=15))
    assert verdict(facts) == (Outcome.EXECUTED, Gate.PASSED)


@pytest.mark.parametrize(
    ("facts_changes", "proposal_changes", "gate"),
    [
        ({"automatic": False}, {}, Gate.NOT_AUTOMATIC),
        ({"demoted": "verification failed twice"}, {}, Gate.DEMOTED),
        ({}, {"effective_risk": RiskLevel.HIGH}, Gate.RISK),
        ({"action_risk": RiskLevel.HIGH}, {"effective_risk": RiskLevel.LOW}, Gate.RISK),
        ({}, {"confidence": 0.69}, Gate.CONFIDENCE),
        ({}, {"model_only": True}, Gate.UNCORROBORATED),
    ],
)
def test_unsuitable_for_automation_goes_to_approval(
    facts_changes: dict[str, Any], proposal_changes: dict[str, Any], gate: Gate
) -> None:
    facts = replace(GOOD, **facts_changes)
    assert verdict(facts, **proposal_changes) == (Outcome.QUEUED, gate)


def test_high_risk_is_never_automatic_whatever_the_setting() -> None:
    lenient = PolicySection(auto_max_risk="medium", min_confidence=0.0)
    assert verdict(GOOD, lenient, effective_risk=RiskLevel.HIGH)[1] is Gate.RISK
    strict = PolicySection(auto_max_risk="low")
    assert verdict(GOOD, strict) == (Outcome.QUEUED, Gate.RISK)


def test_model_only_advice_never_runs_by_itself_whatever_else_allows_it() -> None:
    lenient = PolicySection(auto_max_risk="medium", min_confidence=0.0)
    p = replace(proposal(), model_only=True, effective_risk=RiskLevel.LOW)
    d = decide(p, GOOD, lenient)
    assert (d.outcome, d.gate) == (Outcome.QUEUED, Gate.UNCORROBORATED)
    assert d.detail.startswith("model-only: no detector recommended restart_service")
    # it still waits in maintenance and under a cooldown, like any advice
    facts = replace(GOOD, maintenance="fleet in maintenance")
    assert verdict(facts, model_only=True) == (Outcome.BLOCKED, Gate.MAINTENANCE)


def test_detector_advice_is_not_held_back_by_a_model_only_request() -> None:
    waiting = OpenRequest(4, "pending_approval", "uncorroborated")
    facts = replace(GOOD, open_request=waiting)
    assert verdict(facts) == (Outcome.EXECUTED, Gate.PASSED)
    # the model's own advice again, or a detector's that needs a human: joins it
    d = decide(replace(proposal(), model_only=True), facts, POLICY)
    assert (d.outcome, d.gate) == (Outcome.QUEUED, Gate.UNCORROBORATED)
    assert "request #4" in d.detail
    slow = decide(proposal(confidence=0.5), facts, POLICY)
    assert (slow.outcome, "request #4" in slow.detail) == (Outcome.QUEUED, True)
    approved = replace(GOOD, open_request=OpenRequest(4, "approved", "uncorroborated"))
    assert verdict(approved)[0] is Outcome.QUEUED


def test_an_open_request_is_joined_not_duplicated() -> None:
    facts = replace(
        GOOD, open_request=OpenRequest(4, "pending_approval", "not_automatic")
    )
    d = decide(proposal(), facts, POLICY)
    assert (d.outcome, d.gate) == (Outcome.QUEUED, Gate.NOT_AUTOMATIC)
    assert "request #4" in d.detail


def test_maintenance_wins_over_everything_but_drops() -> None:
    facts = replace(
        GOOD, maintenance="fleet in maintenance", automatic=False, paused="x"
    )
    assert verdict(facts) == (Outcome.BLOCKED, Gate.MAINTENANCE)


def test_pause_does_not_stop_asking_humans() -> None:
    facts = replace(GOOD, paused="automation paused", automatic=False)
    assert verdict(facts) == (Outcome.QUEUED, Gate.NOT_AUTOMATIC)


def test_shadow_mode_records_what_would_have_run() -> None:
    assert verdict(replace(GOOD, shadow=True)) == (Outcome.SHADOW, Gate.SHADOW_MODE)
    assert verdict(replace(GOOD, shadow=True, running_auto=5))[1] is Gate.CONCURRENCY


def test_blast_radius_counts_a_server_already_changed_as_free() -> None:
    facts = replace(GOOD, changed_servers=frozenset({"web1", "db1"}))
    assert verdict(facts) == (Outcome.EXECUTED, Gate.PASSED)


@pytest.mark.parametrize(
    ("fleet", "percent", "limit"),
    [(10, 20.0, 2), (1, 20.0, 1), (3, 50.0, 1), (100, 2.5, 2), (10, 0.0, 0)],
)
def test_blast_limit_allows_one_server_unless_zero(
    fleet: int, percent: float, limit: int
) -> None:
    assert blast_limit(fleet, percent) == limit
