"""Fleet: every server with its state and latest readings; Enter opens it.

The cpu column leads with a sparkline of the server's last readings; the
whole fleet's come from one query per reload, beside the status query.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ssop.core.ops.daemon_registry import DaemonState
from ssop.core.reports.status import FleetStatus, StatusRow
from ssop.tui import formatting as fmt
from ssop.tui.sanitize import clean, one_line, plain
from ssop.tui.screens.base import LiveScreen
from ssop.tui.widgets.live_table import LiveRow, LiveTable
from ssop.tui.widgets.modals import Ask

COLUMNS = ("server", "state", "cpu", "mem", "disk", "load", "risk", "appr", "seen")
SPARK = 5  # readings in the cpu column's sparkline
WIDTHS = (12, 11, SPARK + 5, 4, 4, 4, 6, 4, 5)


@dataclass(frozen=True)
class FleetData:
    status: FleetStatus
    # seconds since the freshest running daemon's heartbeat; None: no daemon
    heartbeat_s: float | None
    # each server's last CPU readings, oldest first
    cpu_trends: dict[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetRow:
    """What one row is drawn from (compared to find the rows that changed)."""

    status: StatusRow
    cpu_trend: tuple[float, ...]


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
        self.rows: list[LiveRow] = []

    def body(self) -> ComposeResult:
        yield Static(id="totals")
        yield LiveTable(
            COLUMNS, cells=cells, search=search, widths=WIDTHS, id="servers"
        )

    def fetch(self) -> FleetData:
        s = self.dash.session
        status = s.services.status.fleet(s.principal)
        now = self.dash.clock.now()
        running = [
            d.age_s(now)
            for d in s.services.daemons.list()
            if d.status is DaemonState.RUNNING
        ]
        trends = s.services.readings_history.recent_cpu(s.principal, SPARK)
        return FleetData(status, min(running) if running else None, trends)

    def show(self, data: FleetData) -> None:
        # the age moves on every reload; the drawn time of the crawl does not
        trends = data.cpu_trends
        self.rows = [
            LiveRow(
                r.server,
                FleetRow(replace(r, last_crawl_age_s=None), trends.get(r.server, ())),
            )
            for r in data.status.rows
        ]
        self.query_one(LiveTable).sync(self.rows)
        self.query_one("#totals", Static).update(totals(data))

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


def cells(row: FleetRow) -> tuple[object, ...]:
    r = row.status
    return (
        plain(one_line(r.server, WIDTHS[0])),
        fmt.state(r.state.value),
        f"{fmt.spark(row.cpu_trend, SPARK)} {fmt.percent(r.cpu_percent):>4}",
        fmt.percent(r.memory_percent),
        fmt.percent(r.disk_max_percent),
        "-" if r.load1 is None else f"{r.load1:.2f}",
        fmt.risk(r.last_risk),
        str(r.open_approvals or ""),
        fmt.clock_time(r.last_crawl_at),
    )


def search(row: FleetRow) -> str:
    return clean(" ".join((row.status.server, *row.status.tags)))


def totals(data: FleetData) -> Text:
    """The header line: servers per state, approvals waiting, the daemon."""
    rows = data.status.rows
    line = Text(f"{len(rows)} servers: ")
    counts = [(n, state) for state, n in data.status.counts().items() if n]
    for i, (n, state) in enumerate(counts):
        line.append(f"{n} {state}", style=fmt.STATE_STYLES.get(state, ""))
        line.append(", " if i < len(counts) - 1 else "")
    waiting = sum(r.open_approvals for r in rows)
    line.append(f"; {waiting} awaiting approval; ")
    if data.heartbeat_s is None:
        line.append("no daemon running", style="bold yellow")
    else:
        line.append(f"daemon seen {fmt.span(data.heartbeat_s)} ago")
    return line
