"""The dashboard app: its screens, global keys, and the live refresh.

``Dashboard`` is built the same way by ``ssop tui``, the tests and the
benchmark. Screens are Textual modes (``:`` jumps between them); the server
screen is pushed on top of the fleet.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from ssop.core.accounts.permissions import Capability
from ssop.core.clock import Clock
from ssop.tui.failures import classify
from ssop.tui.live import listen
from ssop.tui.screens.base import LiveScreen
from ssop.tui.session import TuiSession
from ssop.tui.widgets.modals import Ask, ConfirmModal, Help
from ssop.tui.widgets.status_line import LiveState, StatusLine

log = logging.getLogger(__name__)


def _lazy(module: str, name: str) -> Callable[[], Screen[None]]:
    """A screen imported when first shown: the first screen comes up sooner."""

    def make() -> Screen[None]:
        screen: Screen[None] = getattr(
            importlib.import_module(f"ssop.tui.screens.{module}"), name
        )()
        return screen

    return make


SCREENS: dict[str, Callable[[], Screen[None]]] = {
    "fleet": _lazy("fleet", "FleetScreen"),
    "approvals": _lazy("approvals", "ApprovalsScreen"),
    "executions": _lazy("executions", "ExecutionsScreen"),
    "insights": _lazy("insights", "InsightsScreen"),
    "reports": _lazy("reports", "ReportsScreen"),
}
KEYS = """: jump to a screen by name (fleet, approvals, executions, insights, reports)
1-5 the same screens
/ filter the current table (executions: also field:value)
x on a server: run an assigned action (asks to confirm)
p pause or resume automation (asks to confirm)
t light or dark theme
ctrl+p command palette
q, Esc back (q on a top screen quits)
? this help"""


class Dashboard(App[None]):
    TITLE = "ssop"
    MODES = SCREENS  # type: ignore[assignment]
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("colon", "jump", "Jump"),
        Binding("p", "pause", "Pause/resume"),
        Binding("t", "theme", "Theme", show=False),
        Binding("escape", "go_back", "Back", show=False),
        Binding("q", "back_or_quit", "Quit"),
        *(
            Binding(str(n), f"switch_mode('{name}')", name, show=False)
            for n, name in enumerate(SCREENS, start=1)
        ),
    ]

    def __init__(
        self,
        session: TuiSession,
        *,
        clock: Clock,
        start: str = "fleet",
        poll_s: float | None = 5.0,
        events: bool = True,
        housekeeping: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.clock = clock
        self.start = start
        self.poll_s = poll_s
        self.events = events
        self.housekeeping = housekeeping
        self.live = LiveState(who=session.who)

    def on_mount(self) -> None:
        self.switch_mode(self.start)
        self._automation()
        if self.poll_s:
            self.set_interval(self.poll_s, self.refresh_live)
        if self.events and self.session.services.queue.kind == "redis":
            self._events()
        if self.housekeeping is not None:
            self.set_interval(60.0, self._housekeep)

    # live state -----------------------------------------------------------

    def refresh_live(self) -> None:
        """Reload the current screen and the automation banner."""
        if isinstance(self.screen, LiveScreen):
            self.screen.reload()
        self._automation()

    def connected(self) -> None:
        if self.live.lost:
            self._set(replace(self.live, lost=""))

    def lost(self, why: str) -> None:
        self._set(replace(self.live, lost=why))

    def _set(self, state: LiveState) -> None:
        self.live = state
        for line in self.screen.query(StatusLine):
            line.show(state)

    @work(thread=True, exclusive=True, group="automation", exit_on_error=False)
    def _automation(self) -> None:
        s = self.session
        try:
            status = s.services.policy_admin.status(s.principal)
        except Exception as e:  # sorted by classify; a bug is logged
            self._worker_failed(e)
            return
        shadow = status.mode == "shadow"
        self.call_from_thread(self._automation_is, status.paused, shadow)

    def _automation_is(self, paused: bool, shadow: bool) -> None:
        if (paused, shadow) != (self.live.paused, self.live.shadow):
            self._set(replace(self.live, paused=paused, shadow=shadow))

    def _worker_failed(self, error: Exception) -> None:
        failure = classify(error)
        if failure is None:
            log.exception("tui: internal error in a worker")
        elif failure.lost:
            self.call_from_thread(self.lost, failure.message)

    @work(thread=True, group="events", exit_on_error=False)
    def _events(self) -> None:
        worker = get_current_worker()
        listen(
            self.session.services.queue.events,
            on_event=lambda: self.call_from_thread(self.refresh_live),
            on_lost=lambda why: self.call_from_thread(self.lost, why),
            stopped=lambda: worker.is_cancelled,
        )

    @work(thread=True, exclusive=True, group="housekeeping")
    def _housekeep(self) -> None:
        if self.housekeeping is not None:
            self.housekeeping()

    # keys -----------------------------------------------------------------

    def check_action(self, action: str, _parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return self.session.can(Capability.APPROVALS_DECIDE)
        return True

    def action_help(self) -> None:
        extra = getattr(self.screen, "HELP", "")
        self.push_screen(Help(f"{extra}\n\n{KEYS}" if extra else KEYS))

    def action_jump(self) -> None:
        names = ", ".join(SCREENS)
        self.push_screen(Ask("Jump to screen", names), self.jump_to)

    def jump_to(self, name: str | None) -> None:
        wanted = (name or "").strip().lower()
        if not wanted:
            return
        found = [n for n in SCREENS if n.startswith(wanted)]
        if not found:
            self.notify(f"no screen named {wanted!r}", severity="warning", markup=False)
            return
        self.switch_mode(found[0])

    def action_go_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_back_or_quit(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        else:
            self.exit()

    def action_theme(self) -> None:
        dark = self.theme != "textual-light"
        self.theme = "textual-light" if dark else "textual-dark"

    def action_pause(self) -> None:
        resume = self.live.paused
        verb = "Resume" if resume else "Pause"
        body = "Automatic runs and approved requests " + (
            "run again." if resume else "wait until someone resumes."
        )
        self.push_screen(
            ConfirmModal(f"{verb} automation?", Text(body)),
            lambda yes: self._confirmed_toggle(resume, bool(yes)),
        )

    def _confirmed_toggle(self, resume: bool, yes: bool) -> None:
        if yes:
            self._toggle(resume)

    @work(thread=True, group="act", exit_on_error=False)
    def _toggle(self, resume: bool) -> None:
        s = self.session
        try:
            if resume:
                s.services.policy_admin.resume(s.principal)
            else:
                s.services.policy_admin.pause(s.principal, "paused from ssop tui")
        except Exception as e:  # sorted by classify; a bug is logged
            failure = classify(e)
            text = failure.message if failure else "internal error (see the log)"
            self.call_from_thread(self.notify, text, severity="error", markup=False)
            return
        self.call_from_thread(self.notify, "resumed" if resume else "paused")
        self.call_from_thread(self.refresh_live)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in SCREENS:
            yield SystemCommand(
                f"Go to {name}",
                f"Show the {name} screen",
                lambda n=name: self.switch_mode(n),
            )
        if self.session.can(Capability.APPROVALS_DECIDE):
            yield SystemCommand(
                "Pause or resume automation", "With confirmation", self.action_pause
            )
