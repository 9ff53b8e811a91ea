"""``ssop daemon``: run the crawl/analysis loop in the foreground (for systemd)."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import collector
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("daemon")
def daemon(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run each step once, then exit.")
    ] = False,
) -> int:
    """Crawl, analyse and heartbeat on schedule until SIGTERM (see systemd/)."""
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
