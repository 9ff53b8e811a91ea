"""Fleet: every server with its state and latest readings; Enter opens it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ssop.tui import formatting as fmt
from ssop.tui.sanitize import clean, one_line, plain
from ssop.tui.screens.base import LiveScreen
from ssop.tui.widgets.live_table import LiveTable, Row
from ssop.tui.widgets.modals import Ask

COLUMNS = ("server", "state", "cpu", "mem", "disk", "load", "risk", "appr")


@dataclass(frozen=True)
class FleetLine:
    name: str
    tags: tuple[str, ...]
    state: str
    cpu: float | None
    memory: float | None
    disk: float | None
    load: float | None
    risk: str | None
    approvals: int


class FleetScreen(LiveScreen):
    HELP = (
        "/ filter by name or tag\n"
        "s sort by the next column (again: reverse)\n"
        "Enter open the server"
    )
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("enter", "open", "Open"),
    ]

    def __init__(self) -> None:
        super().__init__(name="fleet")
        self.rows: list[Row] = []
        self.lines: list[FleetLine] = []

    def body(self) -> ComposeResult:
        yield Static(id="totals")
        yield LiveTable(COLUMNS, id="servers")

    def fetch(self) -> list[FleetLine]:
        s = self.dash.session
        servers = s.services.servers.list(s.principal)
        pending = s.services.approvals.list(s.principal, ("pending_approval",), 1000)
        waiting: dict[str, int] = {}
        for view in pending:
            waiting[view.server] = waiting.get(view.server, 0) + 1
        return [
            _line(v.name, v.tags, s.services.latest_readings.latest(v.name), waiting)
            for v in servers
        ]

    def show(self, data: Sequence[FleetLine]) -> None:
        self.lines = list(data)
        self.rows = [_row(line) for line in data]
        self.query_one(LiveTable).sync(self.rows)
        self.query_one("#totals", Static).update(totals(self.lines))

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        from ssop.tui.screens.server import ServerScreen

        name = self.query_one(LiveTable).selected_key()
        if name is not None:
            self.app.push_screen(ServerScreen(name))

    def action_sort(self) -> None:
        table = self.query_one(LiveTable)
        current = -1 if table.sort_column is None else table.sort_column
        table.sort_reverse = False
        table.sort_by((current + 1) % len(COLUMNS))
        self.notify(f"sorted by {COLUMNS[table.sort_column or 0]}")

    def action_filter(self) -> None:
        table = self.query_one(LiveTable)
        self.app.push_screen(
            Ask("Filter by name or tag", table.needle),
            lambda needle: (
                None if needle is None else table.refilter(needle, self.rows)
            ),
        )


def _line(name, tags, readings, waiting) -> FleetLine:  # type: ignore[no-untyped-def]
    r = readings or {}
    return FleetLine(
        name=name,
        tags=tuple(tags),
        state="stale" if not r else "ok",
        cpu=r.get("cpu_percent"),
        memory=r.get("memory_percent"),
        disk=r.get("disk_max_percent"),
        load=r.get("load1"),
        risk=None,
        approvals=waiting.get(name, 0),
    )


def _row(line: FleetLine) -> Row:
    cells = (
        plain(one_line(line.name, 28)),
        fmt.state(line.state),
        fmt.percent(line.cpu),
        fmt.percent(line.memory),
        fmt.percent(line.disk),
        "-" if line.load is None else f"{line.load:.2f}",
        fmt.risk(line.risk),
        str(line.approvals or ""),
    )
    return Row(line.name, cells, clean(" ".join((line.name, *line.tags))).lower())


def totals(lines: Sequence[FleetLine]) -> str:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.state] = counts.get(line.state, 0) + 1
    parts = [f"{n} {state}" for state, n in sorted(counts.items())]
    waiting = sum(line.approvals for line in lines)
    return (
        f"{len(lines)} servers: "
        + ", ".join(parts or ["none"])
        + f"; {waiting} awaiting approval"
    )
