"""Running an assigned action from the server screen, against a loopback sshd."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from ssop.core.accounts.permissions import Role
from ssop.core.errors import PermissionDenied
from ssop.tui.app import Dashboard
from ssop.tui.screens.server import ServerScreen
from ssop.tui.widgets.modals import ConfirmModal
from ssop.tui.widgets.run_dialogs import Choose, ParamsForm
from tests.integration.policy.conftest import Rig
from tests.support.policy import executions, fleet, sshd_builder
from tests.support.sshd import Sshd
from tests.tui.conftest import SIZE, dashboard, settle

pytestmark = [pytest.mark.sshd, pytest.mark.asyncio]

RESTART = ["systemctl", "restart", "--", "nginx"]
NGINX = {"service": "nginx"}


def on_web1(rig: Rig, sshd: Sshd) -> None:
    rig.services.transport_factory = sshd_builder(sshd)
    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)


def offered(app: Dashboard) -> set[str]:
    return {k for k, b in app.active_bindings.items() if b.enabled and b.binding.show}


def confirmation(app: Dashboard) -> str:
    assert isinstance(app.screen, ConfirmModal)
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def open_web1(app: Dashboard) -> ServerScreen:
    screen = ServerScreen("web1")
    await app.push_screen(screen)
    return screen


async def test_an_operator_runs_an_assigned_action_once_with_a_record(
    rig: Rig, sshd: Sshd
) -> None:
    on_web1(rig, sshd)
    olga = rig.user("olga")
    app = dashboard(rig, olga, start="fleet")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_web1(app)
        await settle(pilot)
        assert "x" in offered(app)

        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, Choose)
        assert app.screen.values == ["restart_service"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ParamsForm)

        await pilot.press(*"bad unit;", "enter")  # the core's typed validation
        await settle(pilot)
        assert isinstance(app.screen, ParamsForm) and "service" in app.screen.error
        await pilot.press(*["backspace"] * 9, *"nginx", "enter")
        await settle(pilot)
        # exactly what ``ssop run --dry-run`` shows and the executor runs
        plan = rig.services.runs.dry_run(olga, "web1", "restart_service", NGINX)
        assert plan.command.endswith("systemctl restart -- nginx")
        assert f"web1: {plan.command}" in confirmation(app).splitlines()
        assert executions(rig.services) == []  # not before "y"

        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ServerScreen)

    runs = executions(rig.services)
    assert [
        (r.server_name, r.action_name, r.status, r.actor, r.trigger) for r in runs
    ] == [("web1", "restart_service", "succeeded", "olga", "manual")]
    assert rig.systemctl() == [RESTART]


async def test_n_runs_nothing(rig: Rig, sshd: Sshd) -> None:
    on_web1(rig, sshd)
    app = dashboard(rig, rig.user("olga"), start="fleet")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_web1(app)
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"nginx", "enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ServerScreen)
    assert executions(rig.services) == [] and rig.systemctl() == []


async def test_a_viewer_has_no_run_key_and_the_core_refuses_anyway(
    rig: Rig, sshd: Sshd
) -> None:
    on_web1(rig, sshd)
    viewer = rig.user("vic", Role.VIEWER)
    app = dashboard(rig, viewer, start="fleet")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_web1(app)
        await settle(pilot)
        assert "x" not in offered(app)
        await pilot.press("x")
        await settle(pilot)
        assert app.screen is screen  # no dialog

        # even called directly, the core checks again
        screen.act(lambda: screen._execute("restart_service", NGINX, ""))
        await settle(pilot)

    with pytest.raises(PermissionDenied):
        rig.services.runs.dry_run(viewer, "web1", "restart_service", NGINX)
    assert executions(rig.services) == [] and rig.systemctl() == []
