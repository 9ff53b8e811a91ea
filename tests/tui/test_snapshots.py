"""Every screen at 80x24 over the seeded fleet, compared with reviewed SVGs.

The clock is fixed, the poll timer and the Redis listener are off, and no
screen shows a blinking cursor, so a snapshot only changes when the screen
does. Update with ``--snapshot-update`` after looking at the new SVG.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from ssop.core.accounts.permissions import Role
from tests.tui.conftest import Seeded, settle

SnapCompare = Callable[..., bool]
SIZE = (80, 24)


@pytest.mark.parametrize("screen", ["fleet", "approvals", "executions", "insights"])
def test_each_screen(snap_compare: SnapCompare, seeded: Seeded, screen: str) -> None:
    assert snap_compare(seeded.app(screen), terminal_size=SIZE, run_before=settle)


def test_a_viewer_sees_approvals_without_decision_keys(
    snap_compare: SnapCompare, seeded: Seeded
) -> None:
    app = seeded.app("approvals", Role.VIEWER)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_the_approve_confirmation_shows_the_exact_command(
    snap_compare: SnapCompare, seeded: Seeded
) -> None:
    async def confirm(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()

    app = seeded.app("approvals")
    assert snap_compare(app, terminal_size=SIZE, run_before=confirm)


def test_help(snap_compare: SnapCompare, seeded: Seeded) -> None:
    async def open_help(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(seeded.app("fleet"), terminal_size=SIZE, run_before=open_help)


def test_reports(snap_compare: SnapCompare, seeded: Seeded) -> None:
    assert snap_compare(seeded.app("reports"), terminal_size=SIZE, run_before=settle)


def test_the_light_theme_without_colour(
    snap_compare: SnapCompare, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    async def light(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()

    assert snap_compare(seeded.app("fleet"), terminal_size=SIZE, run_before=light)


def test_a_server(snap_compare: SnapCompare, seeded: Seeded) -> None:
    async def open_first(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(seeded.app("fleet"), terminal_size=SIZE, run_before=open_first)
