"""Server: one server's readings as charts, its recent analyses and runs.

``w`` switches the charts' window (1h, 24h, 7d). The newest analysis is
shown with what policy decided for each recommendation and which gate said
so (``ssop explain``). ``x`` runs an assigned action as ``ssop run`` does:
the core plans it (checks, typed parameters, the exact command), the
confirmation shows that command, and the run is recorded with the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from ssop.core.actions.params import ParamSpec
from ssop.core.analysis.views import AnalysisView
from ssop.core.errors import InvalidInput, NotFound
from ssop.core.execution.manual_runs import RunPlan
from ssop.core.execution.records import ExecutionRecord
from ssop.core.fleet.readings_history import ReadingPoint
from ssop.core.policy.admin import ExplainLine
from ssop.tui import formatting as fmt
from ssop.tui.sanitize import clean
from ssop.tui.screens.base import LiveScreen
from ssop.tui.screens.insights import reasoning
from ssop.tui.widgets.modals import ConfirmModal
from ssop.tui.widgets.run_dialogs import Choose, ParamsForm
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
    HELP = (
        "w next chart window (1h, 24h, 7d)\n"
        "x run an assigned action (operators and admins; asks to confirm)\n"
        "q / Esc back to the fleet"
    )
    BINDINGS = [Binding("w", "window", "Window"), Binding("x", "run", "Run action")]
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

    # running an assigned action ----------------------------------------

    def action_run(self) -> None:
        self._assigned()

    @work(thread=True, group="act", exit_on_error=False)
    def _assigned(self) -> None:
        s, who = self.dash.session.services, self.dash.session.principal
        try:
            choices = [
                (a.action, f"{a.action} ({a.type.value}, risk {a.risk.value})")
                for a in s.actions.for_server(who, self.server)
                if a.enabled
            ]
        except Exception as e:  # sorted by classify; a bug is logged
            self._failed(e)
            return
        if not choices:
            self.app.call_from_thread(self.notify, "no action is assigned here")
            return
        pick = Choose(f"Run on {self.server}", choices)
        self.app.call_from_thread(self.app.push_screen, pick, self._chosen)

    def _chosen(self, action: str | None) -> None:
        if action:
            self._begin(action)

    @work(thread=True, group="act", exit_on_error=False)
    def _begin(self, action: str) -> None:
        s, who = self.dash.session.services, self.dash.session.principal
        try:
            params = s.actions.show(who, action).params
        except Exception as e:  # sorted by classify; a bug is logged
            self._failed(e)
            return
        if params:
            self.app.call_from_thread(self._ask_params, action, params, {}, "")
        else:
            self._plan_in_thread(action, {}, params)

    def _ask_params(
        self,
        action: str,
        params: tuple[ParamSpec, ...],
        values: dict[str, str],
        error: str,
    ) -> None:
        def filled(given: dict[str, str] | None) -> None:
            if given is not None:
                self._plan(action, given, params)

        self.app.push_screen(ParamsForm(action, params, values, error), filled)

    @work(thread=True, group="act", exit_on_error=False)
    def _plan(
        self, action: str, values: dict[str, str], params: tuple[ParamSpec, ...]
    ) -> None:
        self._plan_in_thread(action, values, params)

    def _plan_in_thread(
        self, action: str, values: dict[str, str], params: tuple[ParamSpec, ...]
    ) -> None:
        s, who = self.dash.session.services, self.dash.session.principal
        try:
            plan = s.runs.dry_run(who, self.server, action, values)
        except InvalidInput as e:
            if not params:
                self._failed(e)
                return
            ask = self._ask_params
            self.app.call_from_thread(ask, action, params, values, e.message)
            return
        except Exception as e:  # sorted by classify; a bug is logged
            self._failed(e)
            return
        self.app.call_from_thread(self._confirm, plan, values)

    def _confirm(self, plan: RunPlan, values: dict[str, str]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.act(lambda: self._execute(plan.action, values, plan.command))

        title = f"Run {plan.action} (risk {plan.risk}) on {plan.server}?"
        body = Text(f"{plan.server}: ")
        body.append(clean(plan.command), style="bold")
        self.app.push_screen(ConfirmModal(title, body), answered)

    def _execute(self, action: str, values: dict[str, str], command: str) -> str:
        """Runs in a worker: the run the user confirmed, if the command is unchanged."""
        s, who = self.dash.session.services, self.dash.session.principal
        record = s.runs.run(
            who,
            self.server,
            action,
            values,
            confirm=lambda plan: plan.command == command,
            reason="run from ssop tui",
        )
        return (
            f"{record.server_name}: {record.action_name} {record.status.value}, "
            f"execution #{record.id}"
        )


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
