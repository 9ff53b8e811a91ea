"""Dialogs: confirm a dangerous key, ask for a reason, jump to a screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


def dialog_css(screen: str) -> str:
    """A centred, bordered box; each dialog names itself (CSS is per class)."""
    return f"""
    {screen} {{ align: center middle; }}
    {screen} > .dialog {{
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }}
    {screen} .title {{ text-style: bold; }}
    {screen} .keys {{ color: $text-muted; margin-top: 1; }}
    """


class ConfirmModal(ModalScreen[bool]):
    """``y`` or Enter confirms, ``n`` or Escape cancels; the body is plain text."""

    DEFAULT_CSS = dialog_css("ConfirmModal")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            yield Static(self.body)
            yield Label("y / Enter: yes    n / Esc: no", classes="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Ask(ModalScreen[str | None]):
    """One line of text (a reason, a filter, a screen name); Escape cancels."""

    DEFAULT_CSS = dialog_css("Ask")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            yield Input(placeholder=self.placeholder)
            yield Label(self.hint or "Enter: ok    Esc: cancel", classes="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Help(ModalScreen[None]):
    """Plain text in a scrolling box: the keys, or a run's output."""

    DEFAULT_CSS = dialog_css("Help")
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, text: str, title: str = "Keys") -> None:
        super().__init__()
        self.text = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            yield Static(Text(self.text))

    def action_close(self) -> None:
        self.dismiss(None)
