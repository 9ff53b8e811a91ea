"""Approvals: the pending queue with its evidence; ``a`` approves, ``r`` rejects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ssop.core.policy.request_view import RequestView
from ssop.core.policy.states import RequestStatus
from ssop.tui import formatting as fmt
from ssop.tui.sanitize import clean, one_line, plain
from ssop.tui.screens.base import LiveScreen
from ssop.tui.widgets.live_table import LiveRow, LiveTable
from ssop.tui.widgets.modals import Ask, ConfirmModal

OPEN = (RequestStatus.PENDING_APPROVAL.value, RequestStatus.APPROVED.value)
COLUMNS = ("id", "status", "server", "action", "risk", "asked by", "expires")
# fixed: fits 80 columns, and a thousand rows need no measuring
WIDTHS = (4, 8, 14, 16, 6, 10, 8)


class ApprovalsScreen(LiveScreen):
    HELP = "a approve (asks to confirm)\nr reject (asks for a reason)\n/ filter"
    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("slash", "filter", "Filter"),
    ]
    DEFAULT_CSS = """
    ApprovalsScreen LiveTable { height: 1fr; min-height: 5; }
    ApprovalsScreen #evidence { height: 2fr; border-top: solid $accent; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(name="approvals")
        self.views: dict[str, RequestView] = {}
        self.rows: list[LiveRow] = []

    def body(self) -> ComposeResult:
        yield LiveTable(
            COLUMNS, cells=cells, search=search, widths=WIDTHS, id="requests"
        )
        with VerticalScroll(id="evidence"):
            yield Static(id="detail")

    def fetch(self) -> list[RequestView]:
        s = self.dash.session
        return s.services.approvals.list(s.principal, OPEN, 200, False)

    def show(self, data: Sequence[RequestView]) -> None:
        now = self.dash.clock.now()
        self.views = {str(v.id): v for v in data}
        self.rows = [
            LiveRow(str(v.id), (v, fmt.countdown(v.expires_at, now))) for v in data
        ]
        table = self.query_one(LiveTable)
        table.sync(self.rows)
        self._detail()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._detail()

    def selected(self) -> RequestView | None:
        key = self.query_one(LiveTable).selected_key()
        return None if key is None else self.views.get(key)

    def _detail(self) -> None:
        view = self.selected()
        text = (
            Text("no open requests")
            if view is None
            else evidence(view, self.dash.clock.now())
        )
        self.query_one("#detail", Static).update(text)

    def action_approve(self) -> None:
        view = self.selected()
        if view is None:
            return
        body = evidence(view, self.dash.clock.now())
        title = f"Approve request #{view.id}? It runs on the daemon's next step."
        self.app.push_screen(
            ConfirmModal(title, body), lambda yes: self._approve(view) if yes else None
        )

    def _approve(self, view: RequestView) -> None:
        s = self.dash.session

        def call() -> str:
            done = s.services.approvals.approve(s.principal, view.id)
            return f"approved #{done.id}: {done.action} on {done.server}"

        self.act(call)

    def action_reject(self) -> None:
        view = self.selected()
        if view is None:
            return
        self.app.push_screen(
            Ask(f"Reject request #{view.id}: why?", "reason (kept on the request)"),
            lambda reason: self._reject(view, reason) if reason else None,
        )

    def _reject(self, view: RequestView, reason: str) -> None:
        s = self.dash.session

        def call() -> str:
            done = s.services.approvals.reject(s.principal, view.id, reason)
            return f"rejected #{done.id}: {done.action} on {done.server}"

        self.act(call)

    def action_filter(self) -> None:
        table = self.query_one(LiveTable)
        self.app.push_screen(
            Ask("Filter by server, action or asker", table.needle),
            lambda needle: (
                table.refilter(needle, self.rows) if needle is not None else None
            ),
        )


def cells(data: tuple[RequestView, str]) -> tuple[object, ...]:
    v, expires = data
    return (
        str(v.id),
        v.status.replace("_approval", ""),
        plain(one_line(v.server, WIDTHS[2])),
        plain(one_line(v.action, WIDTHS[3])),
        fmt.risk(v.effective_risk),
        plain(one_line(v.requested_by, WIDTHS[5])),
        expires,
    )


def search(data: tuple[RequestView, str]) -> str:
    v = data[0]
    return clean(f"{v.server} {v.action} {v.requested_by}")


def evidence(v: RequestView, now: datetime) -> Text:
    """Everything a decision rests on, as plain text."""
    text = Text()
    text.append(f"#{v.id} {clean(v.action)} on {clean(v.server)}", style="bold")
    text.append("  risk ")
    text.append(fmt.risk(v.effective_risk))
    text.append(f"  gate {clean(v.gate)}\n")
    text.append("command: ", style="bold")
    text.append(clean(v.command) + "\n")
    text.append(f"asked by {clean(v.requested_by)} at {fmt.stamp(v.created_at)}; ")
    text.append(f"expires {fmt.countdown(v.expires_at, now)}")
    if v.confidence is not None:
        text.append(f"; confidence {v.confidence:.2f}")
    if v.four_eyes:
        text.append("; four-eyes: someone else must approve")
    text.append("\nreasoning: ", style="bold")
    text.append(clean(v.reasoning) or "-")
    if v.evidence:
        text.append("\nreadings: ", style="bold")
        text.append(clean(json.dumps(dict(v.evidence), sort_keys=True, default=str)))
    return text
