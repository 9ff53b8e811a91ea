"""``ssop tui``: the live terminal dashboard."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()

SCREEN_NAMES = ("fleet", "approvals", "executions", "insights", "reports")


@app.command("tui")
def tui(
    ctx: typer.Context,
    screen: Annotated[
        str, typer.Option("--screen", help="First screen: " + ", ".join(SCREEN_NAMES))
    ] = "fleet",
    poll: Annotated[
        float, typer.Option("--poll", help="Seconds between reloads.", min=1.0)
    ] = 5.0,
) -> None:
    """A live dashboard: fleet, approvals, executions, insights and reports.

    Uses the CLI login (ssop login) or SSOP_TOKEN; a viewer sees no
    approve, reject or pause keys.
    """
    from ssop.cli import collector
    from ssop.core.errors import InvalidInput
    from ssop.core.logsetup import configure
    from ssop.daemon.memory import release_freed_memory, tune_malloc
    from ssop.tui.app import Dashboard
    from ssop.tui.session import open_session

    collector.for_a_long_process()
    if screen not in SCREEN_NAMES:
        raise InvalidInput(
            f"unknown screen {screen!r} (choose from {', '.join(SCREEN_NAMES)})"
        )
    st = state(ctx)
    config = st.config()
    configure(config.settings.app, "tui", log_file=config.paths.state_dir / "tui.log")
    tune_malloc()  # a long-lived process, like the daemon: keep its heap small
    session = open_session(st.services(), st.credential())
    Dashboard(
        session,
        clock=st.services().clock,
        start=screen,
        poll_s=poll,
        housekeeping=release_freed_memory,
    ).run()
