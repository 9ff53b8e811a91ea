"""Automatic remediation end to end: decisions, requests, and real executions.

Executions go over the loopback sshd; the ``systemctl`` shim counts them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.models import ApprovalRequest
from ssop.core.notify.events import EventKind
from ssop.core.policy.states import Gate, Outcome, RequestStatus
from tests.integration.policy.conftest import Rig, RigFactory
from tests.support.policy import executions, fleet, proposal
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd

RESTART_NGINX = ["systemctl", "restart", "--", "nginx"]


def test_an_automatic_action_runs_once_then_cooldown_holds_it(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)

    first = rig.process(proposal(recommendation_id=1))
    again = [rig.process(proposal(recommendation_id=n)) for n in (2, 3, 4)]

    assert [d.outcome for d in first.decided] == [Outcome.EXECUTED]
    assert first.runs[0].status is RequestStatus.SUCCEEDED
    assert [r.decided[0].gate for r in again] == [Gate.COOLDOWN] * 3
    assert rig.systemctl() == [RESTART_NGINX]
    rows = executions(rig.services)
    assert [(e.status, e.trigger, e.request_id) for e in rows] == [
        ("succeeded", "policy", first.runs[0].request_id)
    ]


def test_cooldown_ends_and_other_parameters_are_another_change(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    rig.process(proposal(recommendation_id=1))

    other = rig.process(proposal(params={"service": "php-fpm"}, recommendation_id=2))
    rig.clock.advance(15 * 60)
    later = rig.process(proposal(recommendation_id=3))

    assert other.decided[0].outcome is Outcome.EXECUTED
    assert later.decided[0].outcome is Outcome.EXECUTED
    assert [c[-1] for c in rig.systemctl()] == ["nginx", "php-fpm", "nginx"]


def test_not_automatic_makes_one_request_however_often_it_is_proposed(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)

    reports = [rig.process(proposal(recommendation_id=n)) for n in (1, 2, 3)]

    request_ids = {r.decided[0].request_id for r in reports}
    assert len(request_ids) == 1 and None not in request_ids
    assert {r.decided[0].gate for r in reports} == {Gate.NOT_AUTOMATIC}
    pending = rig.services.approvals.list(rig.user("olga"), ["pending_approval"])
    assert [p.id for p in pending] == list(request_ids)
    assert pending[0].command == "systemctl restart -- nginx"
    assert rig.notifier.kinds().count(EventKind.APPROVAL_REQUESTED) == 1
    assert rig.systemctl() == []


def test_approve_then_the_daemon_step_runs_it_exactly_once(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)
    request_id = rig.process(proposal(recommendation_id=1)).decided[0].request_id
    assert request_id is not None

    approved = rig.services.approvals.approve(rig.user("olga"), request_id, "go")
    first = rig.services.approvals.execute_approved()
    second = rig.services.approvals.execute_approved()

    assert approved.status == "approved" and approved.decided_by == "olga"
    assert [r.status for r in first.runs] == [RequestStatus.SUCCEEDED]
    assert second.ids == []
    assert rig.systemctl() == [RESTART_NGINX]
    shown = rig.services.approvals.show(rig.user("olga"), request_id)
    assert (
        shown.status == "succeeded"
        and shown.execution_id == executions(rig.services)[0].id
    )
    assert executions(rig.services)[0].actor == "olga"


def test_shadow_mode_decides_but_runs_nothing(make_rig: RigFactory, sshd: Sshd) -> None:
    rig = make_rig(mode="shadow", max_fleet_percent=100)
    fleet(rig.services, ["web1", "web2"], {"restart_service": True}, sshd)

    first = rig.process(
        proposal("web1", recommendation_id=1), proposal("web2", recommendation_id=2)
    )
    again = rig.process(proposal("web1", recommendation_id=3))

    assert [d.outcome for d in first.decided] == [Outcome.SHADOW, Outcome.SHADOW]
    assert again.decided[0].gate is Gate.COOLDOWN  # shadow runs count like real ones
    assert rig.systemctl() == [] and executions(rig.services) == []
    viewer = rig.user("vic", Role.VIEWER)
    report = rig.services.policy_admin.shadow_report(viewer, timedelta(hours=1))
    assert [(line.server, line.verdict) for line in report] == [
        ("web1", "would have executed (shadow mode)"),
        ("web2", "would have executed (shadow mode)"),
    ]


def test_promote_turns_shadow_mode_live(make_rig: RigFactory, sshd: Sshd) -> None:
    rig = make_rig(mode="shadow")
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    admin = rig.user("ann", Role.ADMIN)

    rig.services.policy_admin.promote(admin)
    report = rig.process(proposal(recommendation_id=1))

    assert report.decided[0].outcome is Outcome.EXECUTED
    assert rig.systemctl() == [RESTART_NGINX]


def test_one_server_in_shadow_while_the_fleet_is_live(
    make_rig: RigFactory, sshd: Sshd
) -> None:
    rig = make_rig(shadow_servers=["db1"], max_fleet_percent=100)
    fleet(rig.services, ["web1", "db1"], {"restart_service": True}, sshd)

    report = rig.process(
        proposal("web1", recommendation_id=1), proposal("db1", recommendation_id=2)
    )
    rig.services.policy_admin.promote(rig.user("ann", Role.ADMIN), "db1")
    rig.clock.advance(3600)
    promoted = rig.process(proposal("db1", recommendation_id=3))

    assert [d.outcome for d in report.decided] == [Outcome.EXECUTED, Outcome.SHADOW]
    assert promoted.decided[0].outcome is Outcome.EXECUTED


def test_pause_blocks_automation_and_resume_lifts_it(rig: Rig, sshd: Sshd) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    admin = rig.services.policy_admin

    status = admin.pause(rig.user("olga"), "incident 42").status
    blocked = rig.process(proposal(recommendation_id=1))
    admin.resume(rig.user("ann", Role.ADMIN))
    resumed = rig.process(proposal(recommendation_id=2))

    assert status.paused and status.paused_by == "olga"
    assert blocked.decided[0].gate is Gate.PAUSED
    assert "incident 42" in blocked.decided[0].detail
    assert resumed.decided[0].outcome is Outcome.EXECUTED
    assert len(rig.systemctl()) == 1


def test_a_maintenance_window_blocks_until_removed(rig: Rig, sshd: Sshd) -> None:
    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)
    olga = rig.user("olga")
    window = rig.services.policy_admin.add_window(olga, "*", "2h", "kernel upgrades")

    blocked = rig.process(proposal(recommendation_id=1))
    rig.services.policy_admin.remove_window(olga, window.id)
    queued = rig.process(proposal(recommendation_id=2))

    assert blocked.decided[0].gate is Gate.MAINTENANCE
    assert "fleet in maintenance" in blocked.decided[0].detail
    assert queued.decided[0].outcome is Outcome.QUEUED


def test_budgets_and_blast_radius(make_rig: RigFactory, sshd: Sshd) -> None:
    rig = make_rig(max_auto_per_hour=1, cooldown_s=0, max_fleet_percent=50)
    fleet(rig.services, ["a", "b", "c", "d"], {"restart_service": True}, sshd)

    report = rig.process(
        proposal("a", recommendation_id=1),
        proposal("a", params={"service": "redis"}, recommendation_id=2),
        proposal("b", recommendation_id=3),
        proposal("c", recommendation_id=4),
    )

    assert [(d.outcome, d.gate) for d in report.decided] == [
        (Outcome.EXECUTED, Gate.PASSED),
        (Outcome.BLOCKED, Gate.BUDGET),
        (Outcome.EXECUTED, Gate.PASSED),
        (Outcome.BLOCKED, Gate.BLAST_RADIUS),
    ]
    assert len(rig.systemctl()) == 2


def test_explain_names_the_gate_of_every_recommendation(
    make_rig: RigFactory, sshd: Sshd
) -> None:
    from ssop.core.actions.spec import RiskLevel

    rig = make_rig()
    fleet(
        rig.services, ["web1"], {"restart_service": True, "reboot_system": True}, sshd
    )
    fleet(rig.services, ["web2"], {"restart_service": False}, sshd)
    rig.process(
        proposal("web1", recommendation_id=1, analysis_id=9),
        proposal("web1", recommendation_id=2, analysis_id=9),
        proposal(
            "web1",
            "reboot_system",
            {},
            recommendation_id=3,
            analysis_id=9,
            risk=RiskLevel.HIGH,
        ),
        proposal("web2", recommendation_id=4, analysis_id=9),
        proposal(
            "web2",
            params={"service": "x"},
            confidence=0.2,
            recommendation_id=5,
            analysis_id=9,
        ),
        proposal("web3", recommendation_id=6, analysis_id=9),
    )

    lines = rig.services.policy_admin.explain(rig.user("vic", Role.VIEWER), 9)

    assert [(ln.recommendation_id, ln.verdict, ln.gate) for ln in lines] == [
        (1, "executed", "passed"),
        (2, "blocked", "cooldown"),
        (3, "queued for approval", "risk"),
        (4, "queued for approval", "not_automatic"),
        (5, "queued for approval", "not_automatic"),
        (6, "dropped", "unknown_server"),
    ]
    assert lines[0].execution_id is not None and lines[0].request_status == "succeeded"
    assert lines[2].request_status == "pending_approval"


def test_the_daemon_step_decides_each_recommendation_once(rig: Rig, sshd: Sshd) -> None:
    from tests.support.policy import ListSource

    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)
    source = ListSource([proposal(recommendation_id=1, analysis_id=3)])
    rig.services.recommendation_source = source

    first = rig.services.remediation.remediate_new()
    source.proposals.append(
        proposal(params={"service": "redis"}, recommendation_id=2, analysis_id=4)
    )
    second = rig.services.remediation.remediate_new()

    assert [d.proposal.recommendation_id for d in first.decided] == [1]
    assert [d.proposal.recommendation_id for d in second.decided] == [2]
    assert source.asked == [None, 3] and second.skipped == 1


def test_promoting_one_server_while_the_fleet_is_in_shadow_mode(
    make_rig: RigFactory, sshd: Sshd
) -> None:
    rig = make_rig(mode="shadow", max_fleet_percent=100)
    fleet(rig.services, ["web1", "web2"], {"restart_service": True}, sshd)
    admin = rig.services.policy_admin
    ann = rig.user("ann", Role.ADMIN)

    status = admin.promote(ann, "web1")
    report = rig.process(
        proposal("web1", recommendation_id=1), proposal("web2", recommendation_id=2)
    )
    admin.shadow(ann)
    rig.clock.advance(3600)
    again = rig.process(proposal("web1", recommendation_id=3))

    assert status.shadow_servers == ("web2",)
    assert [d.outcome for d in report.decided] == [Outcome.EXECUTED, Outcome.SHADOW]
    assert again.decided[0].outcome is Outcome.SHADOW
    assert rig.systemctl() == [RESTART_NGINX]


def test_model_only_advice_waits_and_a_detector_agreeing_later_runs_it_once(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    model = replace(proposal(recommendation_id=1), model_only=True)
    first = rig.process(model)
    (queued,) = first.decided
    assert (queued.outcome, queued.gate) == (Outcome.QUEUED, Gate.UNCORROBORATED)
    assert rig.systemctl() == []
    with rig.services.sessions() as s:
        waiting = s.get(ApprovalRequest, queued.request_id)
        assert waiting is not None and waiting.evidence["model_only"] is True

    detected = rig.process(proposal(recommendation_id=2))
    assert [d.outcome for d in detected.decided] == [Outcome.EXECUTED]
    assert rig.systemctl() == [RESTART_NGINX]
    with rig.services.sessions() as s:
        closed = s.get(ApprovalRequest, queued.request_id)
        assert closed is not None and closed.status == "cancelled"
        assert closed.closed_reason.startswith("superseded")
