"""``ssop quickstart``: set up, add this machine, crawl it, say what is next."""

from __future__ import annotations

import typer

from ssop.cli import crawl_view, render
from ssop.cli.analysis_cmd import show_analysis
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("quickstart")
def quickstart(ctx: typer.Context) -> None:
    """Initialise if needed, log in, watch this machine, crawl it once."""
    st = state(ctx)
    report = st.setup_services().quickstart.run(st.credential())
    if report.token is not None:
        st.session_file().write(report.token)
    for line in report.lines:
        typer.echo(line)
    if report.password is not None:
        typer.echo(
            f"password of {report.admin}: {report.password}\n"
            f"  (shown only now; change it with: ssop user passwd {report.admin})"
        )
    for host in report.crawl.hosts:
        crawl_view.details(host)
    for outcome in report.analysis:
        show_analysis(outcome.analysis, render.Format.TABLE)
    typer.echo("next:")
    for step in report.next_steps:
        typer.echo(f"  {step}")
