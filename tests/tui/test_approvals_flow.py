"""The approval flow from the keyboard, against a real store and a loopback sshd."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Role
from ssop.tui.app import Dashboard
from ssop.tui.screens.approvals import ApprovalsScreen
from tests.integration.policy.conftest import Rig
from tests.support.policy import executions
from tests.support.sshd import Sshd
from tests.tui.conftest import SIZE, dashboard, queued, settle, shown

pytestmark = [pytest.mark.sshd, pytest.mark.asyncio]


def offered(app: Dashboard) -> set[str]:
    """The keys the footer shows."""
    return {k for k, b in app.active_bindings.items() if b.enabled and b.binding.show}


def status(rig: Rig, request_id: int) -> str:
    return rig.services.approvals.show(rig.user("olga"), request_id).status


async def test_a_approves_after_confirmation_and_one_execution_follows(
    rig: Rig, sshd: Sshd
) -> None:
    [request_id] = queued(rig, sshd)
    app = dashboard(rig, rig.user("olga"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)
        assert shown(app) == [str(request_id)]
        assert offered(app) >= {"a", "r", "p"}

        await pilot.press("a")
        assert status(rig, request_id) == "pending_approval"  # not before "y"
        await pilot.press("y")
        await settle(pilot)
        assert status(rig, request_id) == "approved"
        assert shown(app) == [str(request_id)]  # approved, waiting for the daemon

        rig.services.approvals.execute_approved()  # the daemon's step
        app.refresh_live()
        await settle(pilot)
        assert shown(app) == []

        await pilot.press("a")  # nothing left to approve: no dialog
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)

    runs = executions(rig.services)
    assert [(r.request_id, r.status, r.action_name) for r in runs] == [
        (request_id, "succeeded", "restart_service")
    ]
    assert rig.systemctl() == [["systemctl", "restart", "--", "nginx"]]
    view = rig.services.approvals.show(rig.user("olga"), request_id)
    assert view.decided_by == "olga" and view.status == "succeeded"


async def test_n_leaves_the_request_pending(rig: Rig, sshd: Sshd) -> None:
    [request_id] = queued(rig, sshd)
    app = dashboard(rig, rig.user("olga"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", "n")
        await settle(pilot)
    assert status(rig, request_id) == "pending_approval"
    assert executions(rig.services) == []


async def test_r_asks_for_a_reason_and_rejects(rig: Rig, sshd: Sshd) -> None:
    [request_id] = queued(rig, sshd)
    app = dashboard(rig, rig.user("olga"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "enter")  # an empty reason is no rejection
        await settle(pilot)
        assert status(rig, request_id) == "pending_approval"

        await pilot.press("r", *"not during the sale", "enter")
        await settle(pilot)
        assert shown(app) == []

    view = rig.services.approvals.show(rig.user("olga"), request_id)
    assert (view.status, view.decided_by, view.comment) == (
        "rejected",
        "olga",
        "not during the sale",
    )
    rig.services.approvals.execute_approved()
    assert executions(rig.services) == [] and rig.systemctl() == []


async def test_a_viewer_sees_no_decision_keys_and_the_core_refuses_anyway(
    rig: Rig, sshd: Sshd
) -> None:
    [request_id] = queued(rig, sshd)
    viewer = rig.user("vic", Role.VIEWER)
    app = dashboard(rig, viewer)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown(app) == [str(request_id)]
        assert not offered(app) & {"a", "r", "p"}

        await pilot.press("a", "y", "r", *"no", "enter", "p", "y")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen)

        # even called directly, the core checks again
        screen = app.screen
        screen._approve(screen.views[str(request_id)])
        await settle(pilot)

    assert status(rig, request_id) == "pending_approval"
    assert not rig.services.policy_admin.status(rig.user("olga")).paused


async def test_slash_filters_the_queue(rig: Rig, sshd: Sshd) -> None:
    ids = queued(rig, sshd, ("web1", "db1", "web2"))
    app = dashboard(rig, rig.user("olga"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert sorted(shown(app)) == sorted(map(str, ids))

        await pilot.press("slash", *"web", "enter")
        await settle(pilot)
        assert sorted(shown(app)) == sorted([str(ids[0]), str(ids[2])])

        await pilot.press("slash", *["backspace"] * 3, "enter")
        await settle(pilot)
        assert len(shown(app)) == 3
