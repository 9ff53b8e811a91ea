"""Every refused approval decision is in the audit trail: who, which request, why.

The refused work rolls back; the refusal row is written in a transaction of
its own, so it stays.
"""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.errors import Conflict, PermissionDenied, PolicyRefused
from tests.integration.policy.conftest import Rig
from tests.support.audit import reasons, refusals
from tests.support.policy import fleet, proposal
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd


def queued(rig: Rig, sshd: Sshd) -> int:
    fleet(
        rig.services, ["web1"], {"restart_service": False, "reboot_system": False}, sshd
    )
    request_id = rig.process(proposal(recommendation_id=1)).decided[0].request_id
    assert request_id is not None
    return request_id


def test_a_viewer_denied_an_approval_is_recorded(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    with pytest.raises(PermissionDenied):
        rig.services.approvals.approve(rig.user("vic", Role.VIEWER), request_id)
    with pytest.raises(PermissionDenied):
        rig.services.approvals.reject(rig.user("vic", Role.VIEWER), request_id, "no")

    assert refusals(rig.services) == [
        ("vic", "approval.approve", f"request#{request_id}", "denied"),
        ("vic", "approval.reject", f"request#{request_id}", "denied"),
    ]
    assert "lacks approvals.decide" in reasons(rig.services, "approval.approve")[0]


def test_a_double_approval_is_recorded(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.approve(rig.user("olga"), request_id)
    with pytest.raises(Conflict):
        rig.services.approvals.approve(rig.user("bob"), request_id)

    assert refusals(rig.services) == [
        ("bob", "approval.approve", f"request#{request_id}", "conflict")
    ]
    assert "already approved by olga" in reasons(rig.services, "approval.approve")[0]


def test_approving_a_rejected_request_is_recorded(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.services.approvals.reject(rig.user("olga"), request_id, "not now")
    with pytest.raises(Conflict):
        rig.services.approvals.approve(rig.user("bob"), request_id)

    assert refusals(rig.services) == [
        ("bob", "approval.approve", f"request#{request_id}", "conflict")
    ]
    assert "rejected by olga" in reasons(rig.services, "approval.approve")[0]


def test_approving_an_expired_request_is_recorded(rig: Rig, sshd: Sshd) -> None:
    request_id = queued(rig, sshd)
    rig.clock.advance(24 * 3600)
    with pytest.raises(Conflict):
        rig.services.approvals.approve(rig.user("olga"), request_id)
    rig.services.approvals.expire_due()
    with pytest.raises(Conflict):
        rig.services.approvals.approve(rig.user("olga"), request_id)

    target = f"request#{request_id}"
    assert refusals(rig.services) == [
        ("olga", "approval.approve", target, "conflict"),
        ("olga", "approval.approve", target, "conflict"),
    ]
    assert all("expired" in r for r in reasons(rig.services, "approval.approve"))


def test_four_eyes_refusal_is_recorded(rig: Rig, sshd: Sshd) -> None:
    queued(rig, sshd)
    olga = rig.user("olga")
    reboot = rig.services.approvals.request(olga, "web1", "reboot_system", {}, "k")
    with pytest.raises(PolicyRefused):
        rig.services.approvals.approve(olga, reboot.id)

    assert refusals(rig.services) == [
        ("olga", "approval.approve", f"request#{reboot.id}", "refused")
    ]


def test_the_refused_work_rolls_back_and_the_refusal_stays(
    rig: Rig, sshd: Sshd
) -> None:
    queued(rig, sshd)
    with pytest.raises(PermissionDenied):
        rig.services.policy_admin.resume(rig.user("olga"))
    with pytest.raises(PermissionDenied):
        rig.services.approvals.request(
            rig.user("vic", Role.VIEWER), "web1", "restart_service", {}, "x"
        )

    assert refusals(rig.services) == [
        ("olga", "policy.resume", "automation", "denied"),
        ("vic", "approval.request", "web1/restart_service", "denied"),
    ]
    assert rig.services.approvals.list(rig.user("olga")) != []
