"""Text from hosts is shown as plain text: no escape sequences, no markup."""

from __future__ import annotations

from rich.text import Text

from ssop.tui.sanitize import clean, one_line, plain
from tests.support.tui_seed import HOSTILE


def test_escape_sequences_and_control_bytes_are_removed() -> None:
    assert clean(HOSTILE) == "[bold red]nginx[/] failed"
    assert clean("a\x1b[2J\x1b[Hb\x07c\x00d\x9be") == "abcde"
    assert clean("title\x1b]0;x\x1b\\ok") == "titleok"
    assert clean("tabs\tand\nnewlines stay") == "tabs\tand\nnewlines stay"
    assert clean(None) == ""


def test_markup_is_never_interpreted() -> None:
    text = plain("[bold red]nginx[/]", "green")
    assert isinstance(text, Text)
    assert text.plain == "[bold red]nginx[/]"
    assert text.spans == [] and str(text.style) == "green"


def test_one_line_joins_and_cuts() -> None:
    assert one_line("a\n b\t c") == "a b c"
    assert one_line("x" * 30, 10) == "x" * 9 + "…"
