"""Verify after acting, and demotion of actions that keep failing to help."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.errors import NotFound, PermissionDenied
from ssop.core.notify.events import EventKind
from ssop.core.policy.states import Gate, Outcome
from tests.integration.policy.conftest import Rig
from tests.support.policy import fleet, proposal
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd

FAILED = ["nginx.service"]


def act(rig: Rig, n: int) -> None:
    """Nginx is failed; policy restarts it (the shim does nothing: it stays failed)."""
    rig.readings.set("web1", rig.clock.now(), failed_units=FAILED)
    report = rig.process(proposal(recommendation_id=n))
    assert report.decided[0].outcome is Outcome.EXECUTED, report.decided[0]


def crawl(rig: Rig, failed: list[str]) -> None:
    rig.clock.advance(60)
    rig.readings.set("web1", rig.clock.now(), failed_units=failed)


def test_a_change_that_cleared_its_condition(rig: Rig, sshd: Sshd) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    act(rig, 1)

    early = rig.services.verifier.verify_due()
    rig.clock.advance(60)
    stale = rig.services.verifier.verify_due()  # due, but no crawl since the change
    crawl(rig, [])
    fresh = rig.services.verifier.verify_due()

    assert (
        early.summary() == stale.summary() == "0 cleared, 0 not cleared, 0 undetermined"
    )
    assert len(fresh.cleared) == 1
    stats = rig.services.verifier.effectiveness(
        rig.user("vic", Role.VIEWER), rig.clock.now().replace(year=2000)
    )
    assert [(e.action, e.checked, e.cleared) for e in stats] == [
        ("restart_service", 1, 1)
    ]


def test_failing_verifications_demote_until_an_admin_re_enables(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    act(rig, 1)
    crawl(rig, FAILED)
    first = rig.services.verifier.verify_due()
    rig.clock.advance(900)
    act(rig, 2)
    crawl(rig, FAILED)
    second = rig.services.verifier.verify_due()
    rig.clock.advance(900)

    demoted = rig.process(proposal(recommendation_id=3)).decided[0]

    assert len(first.not_cleared) == 1 and first.demoted == []
    assert second.demoted == [("web1", "restart_service")]
    assert (demoted.outcome, demoted.gate) == (Outcome.QUEUED, Gate.DEMOTED)
    assert rig.notifier.kinds().count(EventKind.VERIFICATION_FAILED) == 2
    with pytest.raises(PermissionDenied):
        rig.services.policy_admin.reenable(rig.user("olga"), "web1", "restart_service")

    admin = rig.user("ann", Role.ADMIN)
    rig.services.policy_admin.reenable(admin, "web1", "restart_service")
    assert demoted.request_id is not None
    rig.services.approvals.reject(admin, demoted.request_id, "automatic again")
    again = rig.process(proposal(recommendation_id=4)).decided[0]

    assert again.outcome is Outcome.EXECUTED
    with pytest.raises(NotFound, match="not demoted"):
        rig.services.policy_admin.reenable(admin, "web1", "restart_service")
    # a verdict before the re-enable does not count towards the next demotion
    crawl(rig, FAILED)
    assert rig.services.verifier.verify_due().demoted == []


def test_no_readings_after_the_change_is_undetermined_not_failed(
    rig: Rig, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": True}, sshd)
    act(rig, 1)
    rig.clock.advance(60 + 600)

    report = rig.services.verifier.verify_due()

    assert len(report.undetermined) == 1 and report.not_cleared == []
