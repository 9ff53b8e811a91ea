"""Text from hosts, shown as plain text: escape sequences and control bytes removed.

Process names, unit names, command output and model reasoning come from
machines and models we do not trust; a stray ``ESC ]`` could retitle the
terminal and ``[bold]`` would be read as markup. Everything a screen shows
from the store goes through ``plain``.
"""

from __future__ import annotations

import re

from rich.text import Text

# CSI, OSC (ended by BEL or ST), other two-byte ESC sequences, then any
# remaining C0/C1 control character except newline and tab.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def clean(value: object) -> str:
    """``value`` as a string with every escape sequence and control byte removed."""
    return _ESCAPES.sub("", "" if value is None else str(value))


def plain(value: object, style: str = "") -> Text:
    """A ``Text`` that is never parsed as markup."""
    return Text(clean(value), style=style)


def one_line(value: object, width: int = 80) -> str:
    """The first ``width`` characters on one line (for table cells)."""
    text = " ".join(clean(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"
