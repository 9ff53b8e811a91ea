"""Reports: the five reports, their tables and charts; ``k`` report, ``w`` window."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Label

from ssop.core.reports.service import REPORTS
from ssop.core.reports.tables import Report, ReportTable, Value
from ssop.tui.sanitize import one_line, plain
from ssop.tui.screens.base import LiveScreen
from ssop.tui.widgets.series_chart import SeriesChart

KINDS = tuple(REPORTS)
WINDOWS = ("1h", "24h", "7d", "30d")


class ReportsScreen(LiveScreen):
    HELP = (
        "k next report (overview, actions, servers, ai, errors)\n"
        "w next window (1h, 24h, 7d, 30d)"
    )
    BINDINGS = [Binding("k", "kind", "Report"), Binding("w", "window", "Window")]
    DEFAULT_CSS = """
    ReportsScreen #report { height: 1fr; }
    ReportsScreen .table-name { text-style: bold; margin-top: 1; }
    ReportsScreen DataTable { height: auto; max-height: 14; }
    """

    def __init__(self) -> None:
        super().__init__(name="reports")
        self.kind = KINDS[0]
        self.window = "24h"
        self.report: Report | None = None

    def body(self) -> ComposeResult:
        yield VerticalScroll(id="report")

    def fetch(self) -> Report:
        s = self.dash.session
        return s.services.reports.build(s.principal, self.kind, window=self.window)

    def show(self, data: Report) -> None:
        self.sub_title = f"{data.name}, last {self.window}"
        if self.report is not None and self.report.tables == data.tables:
            return  # the same figures: keep the charts as drawn
        self.report = data
        box = self.query_one("#report", VerticalScroll)
        box.remove_children()
        box.mount_all(list(widgets(data)))

    def action_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.report = None
        self.reload()

    def action_window(self) -> None:
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.report = None
        self.reload()


def widgets(report: Report) -> list[Widget]:
    out: list[Widget] = [Label(plain(note, "italic")) for note in report.notes]
    for t in report.tables:
        out.append(Label(t.name, classes="table-name", markup=False))
        if t.series and len(t.columns) > 1 and t.rows:
            out.append(chart(t))
        out.append(table(t))
    return out


def chart(t: ReportTable) -> SeriesChart:
    labels = [str(r[0]) for r in t.rows]
    lines = {
        column: [_number(r[i]) for r in t.rows]
        for i, column in enumerate(t.columns[1:], start=1)
    }
    return SeriesChart(t.name, labels, lines)


def table(t: ReportTable) -> DataTable[Text]:
    grid: DataTable[Text] = DataTable(show_cursor=False, zebra_stripes=True)
    grid.add_columns(*t.columns)
    for row in t.rows:
        grid.add_row(*(plain(one_line(_cell(v), 40)) for v in row))
    if not t.rows:
        grid.add_row(*(plain("-") for _ in t.columns))
    return grid


def _cell(value: Value) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _number(value: Value) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
