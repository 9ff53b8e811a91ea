"""Server: one server's readings and its recent executions and analyses."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from ssop.tui.sanitize import plain
from ssop.tui.screens.base import LiveScreen


class ServerScreen(LiveScreen):
    HELP = "q / Esc back to the fleet"

    def __init__(self, server: str) -> None:
        super().__init__(name=f"server:{server}")
        self.server = server

    def body(self) -> ComposeResult:
        yield Static(id="detail")

    def fetch(self) -> object:
        s = self.dash.session
        return s.services.servers.show(s.principal, self.server)

    def show(self, data: object) -> None:
        self.sub_title = self.server
        self.query_one("#detail", Static).update(plain(repr(data)))
