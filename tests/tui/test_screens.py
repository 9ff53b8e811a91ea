"""Each screen over a seeded fleet: what it lists, filters and shows plainly."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Role
from ssop.tui.screens.fleet import FleetScreen
from tests.support.tui_seed import HISTORY
from tests.tui.conftest import SIZE, Seeded, settle, shown

pytestmark = pytest.mark.asyncio


async def test_the_fleet_lists_every_server_with_its_state(seeded: Seeded) -> None:
    app = seeded.app("fleet", Role.VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)
        assert sorted(shown(app)) == sorted(seeded.names)
        app.save_screenshot("/tmp/tui-fleet.svg")


@pytest.mark.parametrize("start", ["approvals", "executions", "insights"])
async def test_screens_render(seeded: Seeded, start: str) -> None:
    app = seeded.app(start)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.save_screenshot(f"/tmp/tui-{start}.svg")


async def test_reports_switch_report_and_window(seeded: Seeded) -> None:
    from ssop.tui.screens.reports import ReportsScreen

    app = seeded.app("reports", Role.VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.report is not None
        assert (screen.report.name, screen.window) == ("overview", "24h")
        names = [t.name for t in screen.report.tables]
        assert names
        assert [str(x.render()) for x in screen.query(".table-name")] == names
        app.save_screenshot("/tmp/tui-overview.svg")

        await pilot.press("k", "w")
        await settle(pilot)
        assert screen.report is not None
        assert (screen.report.name, screen.window) == ("actions", "7d")
        app.save_screenshot("/tmp/tui-reports.svg")


async def test_enter_opens_a_server_with_its_charts_and_analyses(
    seeded: Seeded,
) -> None:
    from ssop.tui.screens.fleet import FleetScreen
    from ssop.tui.screens.server import ServerScreen

    app = seeded.app("fleet", Role.VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = shown(app)[0]
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ServerScreen) and screen.server == first
        assert screen.data is not None and len(screen.data.points) == 1 + HISTORY
        assert [a.server for a in screen.data.analyses] == [first]
        app.save_screenshot("/tmp/tui-server.svg")

        await pilot.press("w")
        await settle(pilot)
        assert screen.window == "7d"

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)
