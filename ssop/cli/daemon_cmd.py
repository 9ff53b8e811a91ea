"""``ssop daemon``: run the crawl/analysis loop in the foreground (for systemd);
``ssop daemon list``: the daemons sharing this store and their crawl."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import collector, render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp(
    help="Run the daemon loop (no subcommand), or list the daemons.",
    invoke_without_command=True,
)


@app.callback()
def daemon(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run each step once, then exit.")
    ] = False,
) -> int | None:
    """Crawl, analyse and heartbeat on schedule until SIGTERM (see systemd/)."""
    if ctx.invoked_subcommand is not None:
        return None
    from ssop.core.config.loader import load_config, systemd_env
    from ssop.core.logsetup import configure
    from ssop.daemon.runtime import run_daemon

    collector.for_a_long_process()
    st = state(ctx)
    config = st.config()
    configure(config.settings.app, "daemon", verbose=st.verbose or st.debug)
    return run_daemon(
        config,
        lambda: load_config(st.config_path, st.overrides),
        once=once,
        systemd=systemd_env(),
    )


@app.command("list")
def list_daemons(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Daemons of this store, live members first (needs reports.read)."""
    st = state(ctx)
    members = st.store().membership.list(st.principal())
    columns = ["id", "host", "pid", "started", "last seen", "last crawl"]
    columns += ["crawled last interval", "connections", "status", "member"]
    data = [
        [
            m.id,
            m.hostname,
            m.pid,
            m.started_at,
            m.last_seen_at,
            m.last_crawl_at,
            m.crawled_last_interval,
            m.connections,
            m.status,
            "live" if m.live else "-",
        ]
        for m in members
    ]
    render.rows(columns, data, fmt)
