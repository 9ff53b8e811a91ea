"""Server: one server's readings as charts, its recent analyses and runs.

``w`` switches the charts' window (1h, 24h, 7d). The newest analysis is
shown with what policy decided for each recommendation and which gate said
so (``ssop explain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from ssop.core.analysis.views import AnalysisView
from ssop.core.errors import NotFound
from ssop.core.execution.records import ExecutionRecord
from ssop.core.fleet.readings_history import ReadingPoint
from ssop.core.policy.admin import ExplainLine
from ssop.tui import formatting as fmt
from ssop.tui.sanitize import clean
from ssop.tui.screens.base import LiveScreen
from ssop.tui.screens.insights import reasoning
from ssop.tui.widgets.series_chart import SeriesChart

WINDOWS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}


@dataclass(frozen=True)
class ServerData:
    points: tuple[ReadingPoint, ...]
    analyses: tuple[AnalysisView, ...]
    explained: tuple[ExplainLine, ...]
    runs: tuple[ExecutionRecord, ...]


class ServerScreen(LiveScreen):
    HELP = "w next chart window (1h, 24h, 7d)\nq / Esc back to the fleet"
    BINDINGS = [Binding("w", "window", "Window")]
    DEFAULT_CSS = """
    ServerScreen #charts { height: 12; }
    ServerScreen #charts SeriesChart { width: 1fr; height: 12; }
    ServerScreen #detail { height: 1fr; padding: 0 1; }
    """

    def __init__(self, server: str) -> None:
        super().__init__(name=f"server:{server}")
        self.server = server
        self.window = "24h"
        self.data: ServerData | None = None

    def body(self) -> ComposeResult:
        yield Horizontal(id="charts")
        with VerticalScroll(id="detail"):
            yield Static(id="text")

    def fetch(self) -> ServerData:
        s, who = self.dash.session.services, self.dash.session.principal
        points = s.readings_history.series(who, self.server, WINDOWS[self.window])
        analyses = tuple(s.analysis.list(who, server=self.server, limit=3))
        explained: tuple[ExplainLine, ...] = ()
        if analyses and analyses[0].id is not None:
            try:
                explained = tuple(s.policy_admin.explain(who, analyses[0].id))
            except NotFound:
                explained = ()  # policy has not looked at it (yet)
        runs = tuple(s.executions.list(who, server=self.server, limit=10))
        return ServerData(points, analyses, explained, runs)

    def show(self, data: ServerData) -> None:
        self.sub_title = f"{self.server}, last {self.window}"
        if self.data is None or self.data.points != data.points:
            charts = self.query_one("#charts", Horizontal)
            charts.remove_children()
            charts.mount_all(_charts(data.points))
        self.data = data
        self.query_one("#text", Static).update(details(data))

    def action_window(self) -> None:
        names = list(WINDOWS)
        self.window = names[(names.index(self.window) + 1) % len(names)]
        self.data = None
        self.reload()


def _charts(points: tuple[ReadingPoint, ...]) -> list[SeriesChart]:
    labels = [f"{p.at:%m-%d %H:%M}" for p in points]

    def line(values: list[float | None]) -> list[float]:
        return [v or 0.0 for v in values]

    percent = {
        "cpu": line([p.cpu_percent for p in points]),
        "mem": line([p.memory_percent for p in points]),
        "disk": line([p.disk_max_percent for p in points]),
    }
    load = {"load1": line([p.load1 for p in points])}
    return [SeriesChart("percent", labels, percent), SeriesChart("load", labels, load)]


def details(data: ServerData) -> Text:
    text = Text()
    if not data.points:
        text.append("no readings in this window\n", style="italic")
    for i, view in enumerate(data.analyses):
        text.append_text(reasoning(view))
        text.append("\n")
        if i == 0:
            for line in data.explained:
                text.append(
                    f"  policy: {clean(line.action)} -> {line.verdict} "
                    f"(gate {clean(line.gate)}) {clean(line.detail)}\n"
                )
        text.append("\n")
    text.append("recent runs\n", style="bold")
    for r in data.runs:
        text.append(f"  #{r.id} {fmt.short(r.started_at)} {clean(r.action_name)} ")
        text.append(fmt.state(r.status.value))
        text.append(f" by {clean(r.actor)}\n")
    if not data.runs:
        text.append("  none\n")
    return text
