"""``ssop db``: migrations and housekeeping of the store."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli.state import authorize, state
from ssop.cli.usage import CommandApp
from ssop.core.accounts.permissions import Capability

app = CommandApp(help="Manage the store (database).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations and seed built-in data (admin: settings.write).

    A store without users yet (never initialised) needs no login.
    """
    st = state(ctx)
    status = st.services().store.upgrade_by(st.caller_of_any_schema())
    typer.echo(f"schema at {status.current} (head {status.head})")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the store."""
    status = state(ctx).services().store.status()
    marker = "up to date" if status.up_to_date else f"behind head {status.head}"
    typer.echo(f"{status.current or 'empty'} ({marker})")


@app.command("prune")
def prune(
    ctx: typer.Context,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=1, help="Keep this many days (default: retention.days)."
        ),
    ] = None,
) -> None:
    """Delete crawl history older than the retention (the audit trail is kept)."""
    st = state(ctx)
    authorize(ctx, Capability.SETTINGS_WRITE)
    keep = days or st.config().settings.retention.days
    counts = st.store().store.prune_counts(keep)
    for table, deleted in counts.items():
        typer.echo(f"{table}: deleted {deleted} row(s) older than {keep} day(s)")
