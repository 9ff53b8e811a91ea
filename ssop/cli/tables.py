"""Drawing tables with rich so that no identifier is ever cut.

Identifier columns (server, action, unit, status, setting names, ...) never
wrap and never shrink; the other columns wrap, folding long words. When the
terminal is too narrow for that, the table is drawn wider than the terminal
rather than cut. Pipes and files get every row on one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# rich is imported here, where a table is drawn: `ssop daemon` runs through
# this CLI and would otherwise carry rich's modules all day.

IDENTIFIERS = frozenset(
    {
        "action",
        "actor",
        "auth",
        "by",
        "capability",
        "check",
        "created_by",
        "event",
        "execution",
        "gate",
        "host",
        "host_key",
        "id",
        "key",
        "name",
        "origin",
        "recommendation",
        "request",
        "requested_by",
        "risk",
        "role",
        "server",
        "state",
        "status",
        "trigger",
        "type",
        "unit",
        "user",
        "verdict",
    }
)
TEXT_MIN = 20  # a wrapping column keeps at least this many cells, when it has them
EDGE = 3  # a column's padding (one cell each side) and its left border


def is_identifier(column: str) -> bool:
    return column in IDENTIFIERS


def build(
    columns: Sequence[str], data: Sequence[Sequence[str]], title: str | None
) -> Table:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        if is_identifier(column):
            table.add_column(column, no_wrap=True, overflow="fold")
        else:
            table.add_column(column, overflow="fold")
    for row in data:
        table.add_row(*row)
    return table


def needed_width(columns: Sequence[str], data: Sequence[Sequence[str]]) -> int:
    """The narrowest width that keeps every identifier whole."""
    widths = _natural_widths(columns, data)
    return 1 + sum(
        w + EDGE if is_identifier(c) else min(w, TEXT_MIN) + EDGE
        for c, w in zip(columns, widths, strict=True)
    )


def full_width(columns: Sequence[str], data: Sequence[Sequence[str]]) -> int:
    """The width at which no cell wraps at all."""
    return 1 + sum(w + EDGE for w in _natural_widths(columns, data))


def _natural_widths(columns: Sequence[str], data: Sequence[Sequence[str]]) -> list[int]:
    from rich.cells import cell_len

    def longest(text: str) -> int:
        return max((cell_len(line) for line in text.splitlines()), default=0)

    return [
        max([longest(column), *(longest(row[i]) for row in data)])
        for i, column in enumerate(columns)
    ]


def render(
    columns: Sequence[str],
    data: Sequence[Sequence[str]],
    title: str | None = None,
    *,
    to_terminal: bool = True,
) -> str:
    """The table as text: styled for a terminal, plain and unwrapped otherwise."""
    console = _console(to_terminal)
    if console.is_terminal:
        console.width = max(console.width, needed_width(columns, data))
    else:
        console.width = full_width(columns, data)
    with console.capture() as captured:
        console.print(build(columns, data, title), crop=False)
    return captured.get()


def _console(to_terminal: bool) -> Console:
    from rich.console import Console

    if to_terminal:
        return Console(highlight=False)
    return Console(highlight=False, force_terminal=False, color_system=None)
