"""``ssop db``: migrations and housekeeping of the store."""

from __future__ import annotations

import typer

from ssop.cli.state import state

app = typer.Typer(help="Manage the store (database).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations and seed built-in data."""
    status = state(ctx).services().store.upgrade()
    typer.echo(f"schema at {status.current} (head {status.head})")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the store."""
    status = state(ctx).services().store.status()
    marker = "up to date" if status.up_to_date else f"behind head {status.head}"
    typer.echo(f"{status.current or 'empty'} ({marker})")
