"""The executions screen's filter: field:value terms asked of the store, and words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert
from textual.pilot import Pilot

from ssop.core.errors import InvalidInput
from ssop.core.models import Execution
from ssop.tui.filter_terms import Terms, parse_terms
from ssop.tui.screens import executions
from ssop.tui.screens.executions import FIELDS, ExecutionsScreen
from ssop.tui.widgets.live_table import LiveTable
from tests.support.tui_seed import run_row
from tests.tui.conftest import SIZE, Seeded, settle, shown

# seeded runs: id server action actor status
#   1 web01 get_uptime      policy succeeded   (newest)
#   2 web02 restart_service olga   succeeded
#   3 db03  get_uptime      policy failed
#   4 web04 restart_service olga   succeeded
#   5 web05 get_uptime      policy succeeded   (oldest)


def test_terms_split_into_fields_and_words() -> None:
    terms = parse_terms('server:web1 Status:failed nginx actor:"jo smith" x', FIELDS)
    assert terms == Terms(
        {"server": "web1", "status": "failed", "actor": "jo smith"}, "nginx x"
    )
    assert str(terms) == "server:web1 status:failed actor:'jo smith' nginx x"
    assert parse_terms("  ", FIELDS) == Terms()


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("colour:red", "no field 'colour'"),
        ("server:a server:b", "server is given twice"),
        ("actor:", "actor: needs a value"),
        ('actor:"jo', "No closing quotation"),
    ],
)
def test_bad_terms_are_refused(line: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        parse_terms(line, FIELDS)


async def filter_with(pilot: Pilot[None], line: str) -> None:
    await pilot.press("slash", *line, "enter")
    await settle(pilot)


@pytest.mark.asyncio
async def test_slash_filters_by_field_and_word(seeded: Seeded) -> None:
    app = seeded.app("executions")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExecutionsScreen)
        assert shown(app) == ["1", "2", "3", "4", "5"]

        await filter_with(pilot, "actor:olga")
        assert shown(app) == ["2", "4"]
        await filter_with(pilot, "actor:olga server:web04")
        assert shown(app) == ["4"]
        assert screen.sub_title == "filter: actor:olga server:web04"
        await filter_with(pilot, "status:failed")
        assert shown(app) == ["3"]
        await filter_with(pilot, "action:get_uptime web05")
        assert shown(app) == ["5"]

        # refused: the filter stays as it was
        await filter_with(pilot, "colour:red")
        await filter_with(pilot, "status:sideways")
        assert shown(app) == ["5"]
        assert str(screen.terms) == "action:get_uptime web05"

        await filter_with(pilot, "")
        assert shown(app) == ["1", "2", "3", "4", "5"]
        assert screen.sub_title == ""


@pytest.mark.asyncio
async def test_fields_are_filtered_by_the_store_beyond_the_rows_loaded(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executions, "LIMIT", 2)
    app = seeded.app("executions")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown(app) == ["1", "2"]
        await filter_with(pilot, "status:failed")
        assert shown(app) == ["3"]
        await filter_with(pilot, "server:web05")
        assert shown(app) == ["5"]


@pytest.mark.asyncio
async def test_a_new_run_arrives_on_top_and_the_cursor_stays(seeded: Seeded) -> None:
    app = seeded.app("executions")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        table = app.screen.query_one(LiveTable)
        assert table.selected_key() == "2"

        with seeded.services.sessions() as s, s.begin():
            newest = run_row("web09", 0, seeded.clock.now() + timedelta(minutes=1))
            s.execute(insert(Execution), [newest])
        app.refresh_live()
        await settle(pilot)
        assert shown(app) == ["6", "1", "2", "3", "4", "5"]
        assert table.selected_key() == "2"
