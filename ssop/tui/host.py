"""What a screen may ask of the app hosting it (so screens never import the app)."""

from __future__ import annotations

from typing import Protocol

from ssop.core.clock import Clock
from ssop.tui.session import TuiSession
from ssop.tui.widgets.status_line import LiveState


class DashboardHost(Protocol):
    session: TuiSession
    clock: Clock
    live: LiveState

    def connected(self) -> None:
        """A load succeeded: clear the lost-connection banner."""

    def lost(self, why: str) -> None:
        """The store or Redis is unreachable: show the banner."""

    def refresh_live(self) -> None:
        """Reload the current screen and the automation state."""
