"""The fleet's CPU sparklines: the bars, and one query for every server's readings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from ssop.core.accounts.permissions import Role
from ssop.core.services import Services
from ssop.tui.formatting import spark
from ssop.tui.screens.fleet import FleetScreen
from tests.fakes.clock import FakeClock
from tests.support import report_rows as rows
from tests.support.auth import add_user, login
from tests.tui.conftest import SIZE, Seeded, settle


def test_bars_are_on_a_fixed_percent_scale() -> None:
    assert spark([0.0, 12.5, 50.0, 99.0, 100.0], 5) == "▁▂▅██"
    assert spark([5.0, 6.0, 7.0], 5) == "  ▁▁▁"  # a calm server stays low
    assert spark([10.0 * k for k in range(10)], 3) == "▆▇█"  # the newest readings
    assert spark([], 4) == "    "


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(services.engine, "before_cursor_execute", record)


def test_recent_cpu_reads_every_server_in_one_query(
    services: Services, clock: FakeClock
) -> None:
    now = clock.now()
    with services.sessions() as s, s.begin():
        for name in ("web1", "web2", "idle"):
            rows.server(s, name, "web")
        for k in range(8):  # web1: oldest first 0, 10, ... 70
            rows.sample(s, "web1", now - timedelta(minutes=8 - k), cpu_percent=k * 10.0)
        rows.sample(s, "web2", now - timedelta(hours=2), cpu_percent=99.0)  # too old
        rows.sample(s, "web2", now - timedelta(minutes=1), cpu_percent=42.0)
        rows.sample(s, "web2", now, cpu_percent=None)  # no reading: left out
    add_user(services, "vera", Role.VIEWER, "vera-password-1")
    who = login(services, "vera", "vera-password-1")

    with statements(services) as seen:
        trends = services.readings_history.recent_cpu(who, 3)

    assert trends == {"web1": (50.0, 60.0, 70.0), "web2": (42.0,)}
    assert len([q for q in seen if "metric_samples" in q]) == 1


@pytest.mark.asyncio
async def test_the_cpu_column_leads_with_the_sparkline(seeded: Seeded) -> None:
    app = seeded.app("fleet", Role.VIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FleetScreen)
        row = next(r for r in screen.rows if r.key == "web01")
        # seeded: web01 read 16, 87, 58, 29 and now 0 percent
        assert row.data.cpu_trend == (16.0, 87.0, 58.0, 29.0, 0.0)
        table = screen.query_one("#servers")
        cell = str(table.get_cell("web01", "cpu"))  # type: ignore[attr-defined]
        assert cell == "▂▇▅▃▁   0%"
