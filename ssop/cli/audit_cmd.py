"""``ssop audit``: read the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp(help="Read the audit trail.", no_args_is_help=True)


@app.command("list")
def list_events(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="Newest N events.")] = 50,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    event: Annotated[
        str | None, typer.Option("--event", help="e.g. login.failed")
    ] = None,
    failed: Annotated[
        bool,
        typer.Option("--failed", help="Only refusals and failures, with the reason."),
    ] = False,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """Show who did what, newest first (needs audit.read)."""
    st = state(ctx)
    entries = st.store().audit_log.list(st.principal(), limit, actor, event, failed)
    columns = ["at", "actor", "event", "target", "ok", "outcome", "detail"]
    data = [
        [
            e.at,
            e.actor,
            e.event,
            e.target,
            e.ok,
            e.outcome,
            e.detail,
        ]
        for e in entries
    ]
    render.rows(columns, data, fmt, out=out)
