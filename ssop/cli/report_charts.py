"""Time series as terminal charts (plotext), readable at 80 columns.

Each line has its own marker, so the chart reads without colour too; with
``NO_COLOR`` set or off a terminal the text carries no escape codes at all.
"""

from __future__ import annotations

import os
import re
import shutil

from ssop.core.reports.tables import ReportTable

MARKERS = ("*", "x", "o", "+", "#", "@")
HEIGHT = 14
MAX_TICKS = 4
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def chart(t: ReportTable, *, to_terminal: bool) -> str:
    """The series table ``t`` (bucket first, then counts) as a line chart."""
    import plotext as plt

    labels = [str(r[0]) for r in t.rows]
    xs = list(range(len(labels)))
    plt.clear_figure()
    plt.plotsize(_width(to_terminal), HEIGHT)
    plt.theme("clear" if _plain(to_terminal) else "pro")
    for i, column in enumerate(t.columns[1:], start=1):
        ys = [float(r[i] or 0) for r in t.rows]  # type: ignore[arg-type]
        plt.plot(xs, ys, label=column, marker=MARKERS[(i - 1) % len(MARKERS)])
    ticks = _ticks(len(labels))
    plt.xticks(ticks, [labels[i] for i in ticks])
    plt.title(t.name)
    text = plt.build()
    if _plain(to_terminal):
        text = ANSI.sub("", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _ticks(count: int) -> list[int]:
    if count <= 1:
        return list(range(count))
    step = max(1, -(-(count - 1) // (MAX_TICKS - 1)))
    return list(range(0, count, step))


def _width(to_terminal: bool) -> int:
    if not to_terminal:
        return 80
    return max(40, min(shutil.get_terminal_size((80, 24)).columns, 120))


def _plain(to_terminal: bool) -> bool:
    return not to_terminal or "NO_COLOR" in os.environ
