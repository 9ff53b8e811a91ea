"""``ssop analysis``: read stored analyses and their recommendations."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli import render
from ssop.cli.state import state

if TYPE_CHECKING:
    from ssop.core.analysis.views import AnalysisView, RecommendationView

app = typer.Typer(help="Read analyses and their recommendations.", no_args_is_help=True)


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


def show_analysis(a: AnalysisView, fmt: render.Format) -> None:
    """One analysis for people (header, summary, recommendations) or as JSON."""
    if fmt is not render.Format.TABLE:
        typer.echo(json.dumps(dataclasses.asdict(a), default=str, indent=2))
        return
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
    fmt: Annotated[render.Format, typer.Option("--format")] = render.Format.TABLE,
) -> None:
    """Show analyses, newest first (needs reports.read)."""
    st = state(ctx)
    views = st.store().analysis.list(
        st.principal(), server=server, risk=risk, limit=limit
    )
    columns = [
        "id",
        "at",
        "server",
        "analyzer",
        "risk",
        "accepted",
        "rejected",
        "summary",
    ]
    data = [
        [
            a.id,
            render.when(a.at) if fmt is render.Format.TABLE else a.at.isoformat(),
            a.server,
            _analyzer(a),
            _risk(a),
            len(a.accepted),
            len(a.recommendations) - len(a.accepted),
            a.summary,
        ]
        for a in views
    ]
    render.rows(columns, data, fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    analysis_id: Annotated[int, typer.Argument(metavar="ID")],
    prompt: Annotated[
        bool, typer.Option("--prompt", help="Also print the prompt sent (redacted).")
    ] = False,
    fmt: Annotated[render.Format, typer.Option("--format")] = render.Format.TABLE,
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
