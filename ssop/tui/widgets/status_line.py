"""The line under the title: who is signed in, automation mode, lost connection."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class LiveState:
    who: str = ""
    paused: bool = False
    shadow: bool = False
    # why the store (or Redis) is unreachable; empty while connected
    lost: str = ""
    extra: str = ""


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; padding: 0 1; }
    StatusLine.-lost { background: $error; color: $text; }
    """

    def show(self, state: LiveState) -> None:
        self.set_class(bool(state.lost), "-lost")
        self.update(render(state))


def render(state: LiveState) -> Text:
    line = Text()
    if state.lost:
        line.append(f"CONNECTION LOST: {state.lost} (retrying)  ", style="bold")
    if state.paused:
        line.append(" PAUSED ", style="bold reverse")
        line.append(" ")
    if state.shadow:
        line.append(" SHADOW ", style="bold reverse")
        line.append(" ")
    line.append(state.who)
    if state.extra:
        line.append(f"  {state.extra}")
    return line
