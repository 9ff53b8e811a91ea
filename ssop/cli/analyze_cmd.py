"""``ssop analyze``: analyse servers now and print what was concluded."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import render
from ssop.cli.analysis_cmd import show_analyses, show_analysis
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("analyze")
def analyze(
    ctx: typer.Context,
    servers: Annotated[
        list[str] | None,
        typer.Argument(metavar="SERVER...", help="Default: every enabled server."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Analyse and print; store nothing.")
    ] = False,
    force_llm: Annotated[
        bool,
        typer.Option(
            "--force-llm", help="Ask the model even if the rules see nothing."
        ),
    ] = False,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Analyse servers now (needs actions.run; --dry-run alone needs reports.read)."""
    st = state(ctx)
    outcomes = st.store().analysis.analyse(
        st.principal(), servers or [], dry_run=dry_run, force_llm=force_llm
    )
    if fmt is not render.Format.TABLE:
        show_analyses([o.analysis for o in outcomes], fmt)
        return
    for outcome in outcomes:
        show_analysis(outcome.analysis, fmt)
        _notes(outcome.reused, outcome.model_skipped, outcome.model_error)


def _notes(reused: bool, skipped: str | None, error: str | None) -> None:
    if reused:
        typer.echo("  (readings unchanged: the last analysis stands)")
    elif error:
        typer.echo(f"  model failed, rules used: {error}")
    elif skipped:
        typer.echo(f"  model not asked: {skipped}")
