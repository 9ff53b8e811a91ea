"""``ssop analyze``: analyse servers now and print what was concluded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli import render
from ssop.cli.analysis_cmd import show_analyses, show_analysis
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

if TYPE_CHECKING:
    from ssop.core.analysis.views import AnalysisOutcome

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
    """Analyse servers now (needs actions.run; --dry-run alone needs reports.read).

    What is recommended is stored; policy decides on it (run, queue for
    approval, or block) at the daemon's next remediate step.
    """
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
        _policy_note(outcome)


def _policy_note(outcome: AnalysisOutcome) -> None:
    """analyze stores advice; policy decides on it in the daemon, not here."""
    analysis = outcome.analysis
    if not outcome.stored or outcome.reused or not analysis.accepted:
        return
    typer.echo(
        f"  policy decides on {len(analysis.accepted)} recommendation(s) at the "
        "daemon's next remediate step (ssop daemon --once runs it now); "
        f"then: ssop explain {analysis.id}"
    )


def _notes(reused: bool, skipped: str | None, error: str | None) -> None:
    if reused:
        typer.echo("  (readings unchanged: the last analysis stands)")
    elif error:
        typer.echo(f"  model failed, rules used: {error}")
    elif skipped:
        typer.echo(f"  model not asked: {skipped}")
