"""Approvals: who may decide what, and every way a request can go wrong."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from ssop.core.accounts.permissions import Role
from ssop.core.errors import (
    Conflict,
    ExecutionNotStarted,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PolicyRefused,
)
from ssop.core.models import ApprovalRequest
from ssop.core.policy.states import RequestStatus
from ssop.core.services import build_services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.server_repo import ServerRepo
from tests.integration.policy.conftest import Rig
from tests.support.policy import SshExecutor, executions, fleet, proposal
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd


def queued(rig: Rig, sshd: Sshd, **kw: object) -> int:
    fleet(
        rig.services, ["web1"], {"restart_service": False, "reboot_system": False}, sshd
    )
    request_id = rig.process(proposal(recommendation_id=1, **kw)).decided[0].request_id  # type: ignore[arg-type]
    assert request_id is not None
    return request_id


def status_of(rig: Rig, request_id: int) -> str:
    with rig.services.sessions() as s:
        row = s.exec(
            select(ApprovalRequest).where(ApprovalRequest.id == request_id)
        ).one()
        return row.status


def test_a_viewer_cannot_approve_or_reject(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    viewer = rig.user("vic", Role.VIEWER)

    with pytest.raises(PermissionDenied, match="lacks approvals.decide"):
        rig.services.approvals.approve(viewer, request_id)
    with pytest.raises(PermissionDenied):
        rig.services.approvals.reject(viewer, request_id, "no")
    assert status_of(rig, request_id) == "pending_approval"


def test_an_unknown_request(rig: Rig) -> None:
    with pytest.raises(NotFound, match="no approval request #404"):
        rig.services.approvals.approve(rig.user("olga"), 404)


def test_a_rejected_request_cannot_be_approved(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    approvals = rig.services.approvals
    with pytest.raises(InvalidInput, match="needs a reason"):
        approvals.reject(rig.user("olga"), request_id, "  ")

    approvals.reject(rig.user("olga"), request_id, "not during the sale")

    with pytest.raises(Conflict, match="rejected by olga: not during the sale"):
        approvals.approve(rig.user("bob"), request_id)
    assert approvals.execute_approved().ids == [] and rig.systemctl() == []
    assert "approval_decided" in rig.notifier.kinds()


def test_an_executed_request_cannot_be_approved_again(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    rig.services.approvals.execute_approved()

    with pytest.raises(Conflict, match=r"already executed \(succeeded\)"):
        rig.services.approvals.approve(rig.user("bob"), request_id)
    with pytest.raises(Conflict):
        rig.services.approvals.reject(rig.user("bob"), request_id, "too late")
    assert len(rig.systemctl()) == 1


def test_expiry_means_rejected_never_approved(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.clock.advance(24 * 3600)

    with pytest.raises(Conflict, match="expired"):
        rig.services.approvals.approve(rig.user("olga"), request_id)
    report = rig.services.approvals.expire_due()

    assert report.ids == [request_id] and status_of(rig, request_id) == "expired"
    assert "approval_expired" in rig.notifier.kinds()
    with pytest.raises(Conflict, match="expired"):
        rig.services.approvals.approve(rig.user("olga"), request_id)
    assert rig.services.approvals.execute_approved().ids == []
    # the change may be asked for again now that the old request is closed
    again = rig.process(proposal(recommendation_id=2)).decided[0]
    assert again.request_id not in (None, request_id)


def test_an_approved_request_that_expires_before_it_runs_never_runs(
    rig: Rig, sshd: Sshd
) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    rig.clock.advance(24 * 3600)

    assert rig.services.approvals.execute_approved().ids == []
    assert rig.services.approvals.expire_due().ids == [request_id]
    assert rig.systemctl() == [] and executions(rig.services) == []


def test_four_eyes_on_a_manual_high_risk_request(rig: Rig, sshd: Sshd) -> None:
    fleet(
        rig.services, ["web1"], {"reboot_system": False, "restart_service": False}, sshd
    )
    olga, bob = rig.user("olga"), rig.user("bob")
    approvals = rig.services.approvals
    reboot = approvals.request(olga, "web1", "reboot_system", {}, "kernel update")
    restart = approvals.request(
        olga, "web1", "restart_service", {"service": "nginx"}, "stuck"
    )

    with pytest.raises(PolicyRefused, match="four-eyes: olga requested"):
        approvals.approve(olga, reboot.id)
    approvals.approve(olga, restart.id)  # medium risk: below four_eyes_min_risk
    approved = approvals.approve(bob, reboot.id, "ok, window agreed")

    assert (reboot.effective_risk, reboot.trigger, reboot.requested_by) == (
        "high",
        "manual",
        "olga",
    )
    assert approved.decided_by == "bob" and approved.comment == "ok, window agreed"


def test_manual_requests_are_checked_and_deduplicated(rig: Rig, sshd: Sshd) -> None:
    fleet(rig.services, ["web1"], {"restart_service": False, "get_uptime": False}, sshd)
    approvals, olga = rig.services.approvals, rig.user("olga")
    approvals.request(
        olga, "web1", "restart_service", {"service": "nginx.service"}, "x"
    )

    with pytest.raises(Conflict, match="already open as request"):
        approvals.request(
            olga, "web1", "restart_service", {"service": "nginx.service"}, "y"
        )
    with pytest.raises(InvalidInput, match="protected unit"):
        approvals.request(olga, "web1", "restart_service", {"service": "sshd"}, "z")
    with pytest.raises(PolicyRefused, match="not assigned"):
        approvals.request(olga, "web1", "stop_service", {"service": "nginx"}, "z")
    with pytest.raises(NotFound, match="no server named 'nope'"):
        approvals.request(olga, "nope", "restart_service", {"service": "nginx"}, "z")
    with pytest.raises(InvalidInput, match="only reads"):
        approvals.request(olga, "web1", "get_uptime", {}, "z")
    with pytest.raises(PermissionDenied):
        approvals.request(
            rig.user("vic", Role.VIEWER),
            "web1",
            "restart_service",
            {"service": "a"},
            "z",
        )


def test_a_request_whose_server_was_removed_is_closed_not_approved(
    rig: Rig, sshd: Sshd
) -> None:
    request_id = queued(rig, sshd)
    with rig.services.sessions() as s, s.begin():
        repo = ServerRepo(s)
        repo.remove(repo.get("web1"))

    with pytest.raises(Conflict, match="server web1 was removed; it was closed"):
        rig.services.approvals.approve(rig.user("olga"), request_id)
    view = rig.services.approvals.show(rig.user("olga"), request_id)
    assert (
        view.status == "cancelled" and view.closed_reason == "server web1 was removed"
    )


def test_an_action_unassigned_after_approval_is_not_run(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    with rig.services.sessions() as s, s.begin():
        AssignmentRepo(s).unassign(
            ServerRepo(s).get("web1"), ActionRepo(s).get("restart_service")
        )

    report = rig.services.approvals.execute_approved()

    assert [r.status for r in report.runs] == [RequestStatus.CANCELLED]
    assert "no longer assigned" in report.runs[0].detail
    assert rig.systemctl() == [] and executions(rig.services) == []


def test_preconditions_are_checked_again_just_before_running(
    rig: Rig, sshd: Sshd
) -> None:
    rig.readings.set("web1", rig.clock.now(), failed_units=["nginx.service"])
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    rig.clock.advance(60)
    rig.readings.set("web1", rig.clock.now(), failed_units=[])

    report = rig.services.approvals.execute_approved()

    assert [r.status for r in report.runs] == [RequestStatus.CANCELLED]
    assert (
        report.runs[0].detail
        == "precondition no longer holds: nginx is no longer failed"
    )
    assert rig.systemctl() == []


def test_a_precondition_that_still_holds_lets_it_run(rig: Rig, sshd: Sshd) -> None:
    rig.readings.set("web1", rig.clock.now(), failed_units=["nginx.service"])
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)

    report = rig.services.approvals.execute_approved()

    assert [r.status for r in report.runs] == [RequestStatus.SUCCEEDED]
    assert len(rig.systemctl()) == 1


def test_a_changed_action_is_not_run(rig: Rig, sshd: Sshd) -> None:
    from ssop.core.models.keys import spec_hash

    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    with rig.services.sessions() as s, s.begin():
        row = s.get(ApprovalRequest, request_id)
        assert row is not None
        row.spec_hash = spec_hash({"pretend": "an older template"})

    report = rig.services.approvals.execute_approved()

    assert report.runs[0].status is RequestStatus.CANCELLED
    assert "changed since the request was made" in report.runs[0].detail
    assert rig.systemctl() == []


def test_the_kill_switch_holds_approved_requests(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    approvals = rig.services.approvals
    rig.services.policy_admin.pause(rig.user("olga"), "incident 9")
    approvals.approve(rig.user("bob"), request_id)

    held = approvals.execute_approved()
    claimed = approvals.claim_and_run(request_id)
    status_while_paused = status_of(rig, request_id)
    rig.services.policy_admin.resume(rig.user("ann", Role.ADMIN))
    ran = approvals.execute_approved()

    assert held.ids == [request_id] and held.runs == [] and claimed is None
    assert held.summary() == "1 request(s) held: automation is paused"
    assert status_while_paused == "approved"
    assert ran.ids == [request_id] and len(rig.systemctl()) == 1


def test_a_claim_cut_short_by_a_store_outage_runs_once_afterwards(
    rig: Rig, sshd: Sshd
) -> None:
    request_id = queued(rig, sshd)
    approvals = rig.services.approvals
    approvals.approve(rig.user("olga"), request_id)
    # the claim committed, then the store went away before anything was sent
    assert rig.services.request_runner.claim(request_id)

    ran = approvals.execute_approved()
    again = approvals.execute_approved()

    assert ran.ids == [request_id] and again.ids == []
    assert [r.status for r in ran.runs] == [RequestStatus.SUCCEEDED]
    assert len(rig.systemctl()) == 1 and len(executions(rig.services)) == 1


def test_a_claim_another_daemon_holds_is_left_to_it(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    other = build_services(rig.services.config, clock=rig.clock)
    assert other.request_runner.claim(request_id)
    other.close()

    ran = rig.services.approvals.execute_approved()

    assert ran.ids == [] and rig.systemctl() == []
    assert status_of(rig, request_id) == "claimed"


class RecordNotWritten:
    """An executor whose first run finds the store gone: nothing is sent."""

    def __init__(self, inner: SshExecutor) -> None:
        self.inner = inner
        self.failed = False

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise ExecutionNotStarted("its execution record could not be written")
        return self.inner.execute(*args, **kwargs)


def test_a_run_the_store_kept_from_being_recorded_runs_once_afterwards(
    rig: Rig, sshd: Sshd
) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    rig.services.policy_executor = RecordNotWritten(rig.executor)

    with pytest.raises(ExecutionNotStarted):
        rig.services.approvals.execute_approved()
    stuck = status_of(rig, request_id)
    ran = rig.services.approvals.execute_approved()

    assert stuck == "running"
    assert ran.ids == [request_id]
    assert [r.status for r in ran.runs] == [RequestStatus.SUCCEEDED]
    assert len(rig.systemctl()) == 1 and len(executions(rig.services)) == 1
