"""Insights: the stream of analyses across the fleet, newest first, by risk."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ssop.core.analysis.views import AnalysisView
from ssop.tui import formatting as fmt
from ssop.tui.sanitize import clean, one_line, plain
from ssop.tui.screens.base import LiveScreen
from ssop.tui.widgets.live_table import LiveRow, LiveTable

COLUMNS = ("id", "at", "server", "risk", "by", "summary")
# fixed, so no cell is measured (nor drawn before the widths are known)
WIDTHS = (5, 11, 12, 6, 6, 26)
RISK_FLOORS: tuple[str | None, ...] = (None, "low", "medium", "high")


class InsightsScreen(LiveScreen):
    HELP = "f cycle the risk floor (all, low+, medium+, high)"
    BINDINGS = [Binding("f", "floor", "Risk floor")]
    DEFAULT_CSS = """
    InsightsScreen LiveTable { height: 1fr; min-height: 5; }
    InsightsScreen #reasoning { height: 1fr; border-top: solid $accent; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(name="insights")
        self.floor: str | None = None
        self.views: dict[str, AnalysisView] = {}

    def body(self) -> ComposeResult:
        yield LiveTable(
            COLUMNS, cells=cells, search=search, widths=WIDTHS, id="analyses"
        )
        with VerticalScroll(id="reasoning"):
            yield Static(id="detail")

    def fetch(self) -> list[AnalysisView]:
        s = self.dash.session
        return s.services.analysis.list(s.principal, risk=self.floor, limit=300)

    def show(self, data: Sequence[AnalysisView]) -> None:
        self.views = {str(v.id): v for v in data}
        self.query_one(LiveTable).sync([LiveRow(str(v.id), v) for v in data])
        self.sub_title = f"risk {self.floor or 'all'}"
        self._detail()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._detail()

    def _detail(self) -> None:
        key = self.query_one(LiveTable).selected_key()
        view = self.views.get(key or "")
        body = Text("no analyses") if view is None else reasoning(view)
        self.query_one("#detail", Static).update(body)

    def action_floor(self) -> None:
        at = RISK_FLOORS.index(self.floor)
        self.floor = RISK_FLOORS[(at + 1) % len(RISK_FLOORS)]
        self.notify(f"risk: {self.floor or 'all'}")
        self.reload()


def cells(v: AnalysisView) -> tuple[object, ...]:
    return (
        str(v.id),
        fmt.short(v.at),
        plain(one_line(v.server, WIDTHS[2])),
        fmt.risk(v.risk),
        plain(one_line(v.analyzer, WIDTHS[4])),
        plain(one_line(v.summary, WIDTHS[5])),
    )


def search(v: AnalysisView) -> str:
    return clean(v.server)


def reasoning(v: AnalysisView) -> Text:
    text = Text()
    text.append(f"#{v.id} {clean(v.server)} {fmt.stamp(v.at)} ", style="bold")
    text.append(v.risk, style=fmt.RISK_STYLES.get(v.risk, ""))
    text.append(f" confidence {v.confidence:.2f} ({clean(v.analyzer)})\n")
    text.append(clean(v.summary) + "\n")
    text.append(clean(v.reasoning))
    if v.llm_error:
        text.append(f"\nmodel error: {clean(v.llm_error)}", style="red")
    for r in v.recommendations:
        text.append(f"\n- {clean(r.action)} ({r.status}, {r.effective_risk}): ")
        text.append(clean(r.reason))
    return text
