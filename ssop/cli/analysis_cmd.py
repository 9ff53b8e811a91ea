"""``ssop analysis``: read stored analyses and their recommendations."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

if TYPE_CHECKING:
    from ssop.core.analysis.views import AnalysisView, RecommendationView

app = CommandApp(help="Read analyses and their recommendations.", no_args_is_help=True)


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def _risk(a: AnalysisView) -> str:
    if a.model_risk is None:
        return a.risk
    note = " (model said " + a.model_risk + ")" if a.risk_disagreement else ""
    return a.risk + note


def _analyzer(a: AnalysisView) -> str:
    name = f"llm:{a.model}" if a.analyzer == "llm" else a.analyzer
    return f"{name} (model failed: {a.llm_error})" if a.llm_error else name


def rec_line(r: RecommendationView) -> str:
    """``[accepted] restart_service service=nginx (risk medium, rules #3): why``."""
    params = _params(dict(r.params))
    ident = f" #{r.id}" if r.id is not None else ""
    why = r.reject_reason if r.status == "rejected" else r.reason
    head = f"[{r.status}] {r.action}" + (f" {params}" if params else "")
    return f"{head} (risk {r.effective_risk}, {r.source}{ident}): {why}"


COLUMNS = ("id", "at", "server", "analyzer", "risk", "accepted", "rejected", "summary")


def summary_row(a: AnalysisView) -> list[Any]:
    """One analysis as a row of ``COLUMNS`` (``analysis list``, CSV)."""
    rejected = len(a.recommendations) - len(a.accepted)
    return [
        a.id,
        a.at,
        a.server,
        _analyzer(a),
        _risk(a),
        len(a.accepted),
        rejected,
        a.summary,
    ]


def show_analysis(a: AnalysisView, fmt: render.Format) -> None:
    """One analysis for people (header, summary, recommendations), as JSON or CSV."""
    if fmt is render.Format.JSON:
        render.mapping(dataclasses.asdict(a), fmt)
    elif fmt is render.Format.CSV:
        render.rows(COLUMNS, [summary_row(a)], fmt)
    else:
        _show_text(a)


def show_analyses(views: Sequence[AnalysisView], fmt: render.Format) -> None:
    """Several analyses for scripts: one JSON list, or CSV rows."""
    if fmt is render.Format.JSON:
        render.emit(render.dumps([dataclasses.asdict(a) for a in views]) + "\n")
    else:
        render.rows(COLUMNS, [summary_row(a) for a in views], fmt)


def _show_text(a: AnalysisView) -> None:
    ident = f"#{a.id}" if a.id is not None else "(not stored)"
    typer.echo(f"{a.server}: risk {_risk(a)}, {_analyzer(a)}, analysis {ident}")
    typer.echo(f"  {a.summary}")
    if a.tokens_prompt is not None:
        typer.echo(
            f"  tokens: {a.tokens_prompt} prompt, {a.tokens_completion} completion"
        )
    for r in a.recommendations:
        typer.echo("  " + rec_line(r))
    if not a.recommendations:
        typer.echo("  no recommendation")


@app.command("list")
def list_analyses(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option("--server")] = None,
    risk: Annotated[
        str | None, typer.Option("--risk", help="low, medium or high: that or worse")
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """Show analyses, newest first (needs reports.read)."""
    st = state(ctx)
    views = st.store().analysis.list(
        st.principal(), server=server, risk=risk, limit=limit
    )
    render.rows(COLUMNS, [summary_row(a) for a in views], fmt, out=out)


@app.command("show")
def show(
    ctx: typer.Context,
    analysis_id: Annotated[int, typer.Argument(metavar="ID")],
    prompt: Annotated[
        bool, typer.Option("--prompt", help="Also print the prompt sent (redacted).")
    ] = False,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Show one analysis with its reasoning and recommendations (needs reports.read)."""
    st = state(ctx)
    a = st.store().analysis.show(st.principal(), analysis_id, with_prompt=prompt)
    show_analysis(a, fmt)
    if fmt is render.Format.TABLE:
        typer.echo(f"reasoning:\n{a.reasoning}")
        if prompt:
            typer.echo(
                f"prompt (sha256 {a.prompt_hash}):\n"
                f"{a.prompt or '(none: no model was asked)'}"
            )
