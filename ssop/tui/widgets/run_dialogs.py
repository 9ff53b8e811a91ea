"""Dialogs of a manual run: pick an assigned action, fill in its parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from ssop.core.actions.params import ParamSpec
from ssop.tui.widgets.modals import dialog_css


class Choose(ModalScreen[str | None]):
    """Pick one of ``choices`` (value, label); Escape cancels."""

    DEFAULT_CSS = dialog_css("Choose")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.values = [value for value, _ in choices]
        self.labels = [label for _, label in choices]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            yield OptionList(*self.labels)
            yield Label("Enter: choose    Esc: cancel", classes="keys")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.values[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ParamsForm(ModalScreen[dict[str, str] | None]):
    """One input per parameter; the core validates what is submitted.

    ``error`` is the core's refusal of the previous attempt, shown above the
    inputs, which keep the values given then.
    """

    DEFAULT_CSS = dialog_css("ParamsForm") + "ParamsForm .error { color: $error; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        action: str,
        params: Sequence[ParamSpec],
        values: Mapping[str, str] | None = None,
        error: str = "",
    ) -> None:
        super().__init__()
        self.action = action
        self.params = tuple(params)
        self.values = dict(values or {})
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Parameters of {self.action}", classes="title", markup=False)
            if self.error:
                yield Label(self.error, classes="error", markup=False)
            for p in self.params:
                yield Label(_label(p), markup=False)
                value = self.values.get(p.name, p.default or "")
                yield Input(value=value, placeholder=p.type, id=f"param-{p.name}")
            yield Label("Enter: next / run    Esc: cancel", classes="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is not inputs[-1]:
            self.focus_next()
            return
        given = zip(self.params, inputs, strict=True)
        # an emptied optional parameter takes its default
        self.dismiss({p.name: i.value for p, i in given if i.value or p.required})

    def action_cancel(self) -> None:
        self.dismiss(None)


def _label(p: ParamSpec) -> str:
    need = "" if p.required else f", optional (default {p.default!r})"
    about = f": {p.help}" if p.help else ""
    return f"{p.name} ({p.type}{need}){about}"
