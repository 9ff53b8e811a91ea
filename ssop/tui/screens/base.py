"""What every live screen shares: load in a thread worker, render on arrival.

``fetch`` runs in a worker thread and calls the core; ``show`` runs on the
event loop with what it returned. A failure is sorted (``failures.classify``):
a lost store becomes the banner, a refusal a notification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header

from ssop.core.accounts.permissions import Capability
from ssop.tui.failures import classify
from ssop.tui.host import DashboardHost
from ssop.tui.widgets.status_line import StatusLine

log = logging.getLogger(__name__)

# action name -> the capability that offers its key
GUARDED: dict[str, Capability] = {
    "approve": Capability.APPROVALS_DECIDE,
    "reject": Capability.APPROVALS_DECIDE,
    "run": Capability.ACTIONS_RUN,
}


class LiveScreen(Screen[None]):
    """A screen the dashboard reloads on every live update."""

    HELP: ClassVar[str] = ""

    class Loaded(Message):
        def __init__(self, data: Any) -> None:
            super().__init__()
            self.data = data

    class Done(Message):
        """An action finished: ``text`` for the notification."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    @property
    def dash(self) -> DashboardHost:
        return cast(DashboardHost, self.app)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield StatusLine()
        yield from self.body()
        yield Footer()

    def body(self) -> ComposeResult:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        self.query_one(StatusLine).show(self.dash.live)
        self.reload()

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        needed = GUARDED.get(action)
        return needed is None or self.dash.session.can(needed)

    def reload(self) -> None:
        self._load()

    def fetch(self) -> Any:
        """Runs in a worker thread: ask the core for what the screen shows."""
        raise NotImplementedError

    def show(self, data: Any) -> None:
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        try:
            data = self.fetch()
        except Exception as e:  # sorted by classify; a bug is re-raised
            self._failed(e)
            return
        self.post_message(self.Loaded(data))

    def on_live_screen_loaded(self, message: LiveScreen.Loaded) -> None:
        self.dash.connected()
        self.show(message.data)

    def act(self, work_fn: Callable[[], str]) -> None:
        """Run ``work_fn`` (a core call) in a worker; notify what it returns."""
        self._act(work_fn)

    @work(thread=True, group="act", exit_on_error=False)
    def _act(self, work_fn: Callable[[], str]) -> None:
        try:
            text = work_fn()
        except Exception as e:
            self._failed(e)
            return
        self.post_message(self.Done(text))

    def on_live_screen_done(self, message: LiveScreen.Done) -> None:
        self.notify(message.text, markup=False)
        self.dash.refresh_live()

    def _failed(self, error: Exception) -> None:
        failure = classify(error)
        if failure is None:
            log.exception("tui: internal error in a worker")
            self.app.call_from_thread(
                self.notify, "internal error (see the log)", severity="error"
            )
            return
        if failure.lost:
            self.app.call_from_thread(self.dash.lost, failure.message)
        else:
            self.app.call_from_thread(
                self.notify, failure.message, severity="error", markup=False
            )
