"""``ssop health``: check the store, Redis, the LLM, the daemons and the fleet."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli.render import Format, FormatOption, mapping, rows
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("health")
def health(
    ctx: typer.Context,
    require_daemon: Annotated[
        bool,
        typer.Option("--require-daemon", help="Fail when no daemon is running."),
    ] = False,
    fmt: FormatOption = Format.TABLE,
) -> int:
    """Exit 0 when all is well, 5 when a dependency or a server is unreachable,
    1 otherwise (a stale daemon or server, a stalled daemon step, an old schema)."""
    report = state(ctx).services().health.check(require_daemon=require_daemon)
    if fmt is Format.JSON:
        mapping(report.as_dict(), fmt)
    else:
        data = [(c.name, c.state.value, c.detail) for c in report.checks]
        rows(("check", "state", "detail"), data, fmt)
    return int(report.exit_code)
