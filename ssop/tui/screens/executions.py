"""Executions: the audit of runs, filterable; Enter shows a run's output.

``/`` takes ``field:value`` terms (server, action, status, actor), which
the store filters on, so older runs than the newest shown are found too;
free words then narrow the rows on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from ssop.core.errors import InvalidInput
from ssop.core.execution.executor import parse_status
from ssop.core.execution.records import ExecutionRecord
from ssop.tui import formatting as fmt
from ssop.tui.filter_terms import Terms, parse_terms
from ssop.tui.sanitize import clean, one_line, plain
from ssop.tui.screens.base import LiveScreen
from ssop.tui.widgets.live_table import LiveRow, LiveTable
from ssop.tui.widgets.modals import Ask, Help

COLUMNS = ("id", "started", "server", "action", "status", "exit", "actor")
WIDTHS = (5, 11, 12, 15, 9, 4, 8)
FIELDS = ("server", "action", "status", "actor")
LIMIT = 500


class ExecutionsScreen(LiveScreen):
    HELP = (
        "/ filter: field:value terms (server, action, status, actor) and words,\n"
        "  e.g. server:web1 status:failed nginx; an empty filter shows all\n"
        "Enter show the output"
    )
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("enter", "open", "Output"),
    ]

    def __init__(self) -> None:
        super().__init__(name="executions")
        self.records: dict[str, ExecutionRecord] = {}
        self.rows: list[LiveRow] = []
        self.terms = Terms()

    def body(self) -> ComposeResult:
        yield LiveTable(
            COLUMNS, cells=cells, search=search, widths=WIDTHS, id="executions"
        )

    def fetch(self) -> list[ExecutionRecord]:
        s = self.dash.session
        f = self.terms.fields
        return s.services.executions.list(
            s.principal,
            limit=LIMIT,
            server=f.get("server"),
            action=f.get("action"),
            status=f.get("status"),
            actor=f.get("actor"),
        )

    def show(self, data: Sequence[ExecutionRecord]) -> None:
        self.records = {str(r.id): r for r in data}
        self.rows = [LiveRow(str(r.id), r) for r in data]
        self.query_one(LiveTable).sync(self.rows)

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        key = self.query_one(LiveTable).selected_key()
        record = self.records.get(key or "")
        if record is not None:
            self.app.push_screen(Help(output(record), title=f"execution #{record.id}"))

    def action_filter(self) -> None:
        ask = Ask(
            "Filter: server:NAME action:NAME status:STATUS actor:USER, or words",
            str(self.terms) or "server:web1 status:failed",
        )
        self.app.push_screen(ask, self.filter_by)

    def filter_by(self, line: str | None) -> None:
        """Apply a filter line; a refused one leaves the filter as it was."""
        if line is None:
            return
        try:
            terms = parse_terms(line, FIELDS)
            if "status" in terms.fields:
                parse_status(terms.fields["status"])
        except InvalidInput as e:
            self.notify(e.message, severity="error", markup=False)
            return
        reload = terms.fields != self.terms.fields
        self.terms = terms
        self.sub_title = f"filter: {terms}" if str(terms) else ""
        self.query_one(LiveTable).refilter(terms.words, self.rows)
        if reload:
            self.reload()


def cells(r: ExecutionRecord) -> tuple[object, ...]:
    return (
        str(r.id),
        fmt.short(r.started_at),
        plain(one_line(r.server_name, WIDTHS[2])),
        plain(one_line(r.action_name, WIDTHS[3])),
        fmt.state(r.status.value),
        "-" if r.exit_code is None else str(r.exit_code),
        plain(one_line(r.actor, WIDTHS[6])),
    )


def search(r: ExecutionRecord) -> str:
    return clean(f"{r.server_name} {r.action_name} {r.status.value} {r.actor}")


def output(r: ExecutionRecord) -> str:
    lines = [
        f"{r.action_name} on {r.server_name}: {r.status.value}"
        f" (exit {r.exit_code}) by {r.actor}, {r.trigger}",
        f"command: {r.command}",
        f"reason: {r.reason or '-'}",
    ]
    if r.error:
        lines.append(f"error: {r.error}")
    lines += ["", "stdout:", r.stdout or "-", "", "stderr:", r.stderr or "-"]
    return clean("\n".join(lines))
