"""``ssop config``: show the effective settings, set one in the config file."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp(help="Show or change settings.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
    describe: Annotated[
        bool, typer.Option("--describe", help="Add help texts.")
    ] = False,
) -> None:
    """Print every setting, its value (secrets masked) and where it came from."""
    from ssop.core.config.loader import effective_items

    loaded = state(ctx).config()
    items = effective_items(loaded)
    columns = ["key", "value", "origin"] + (["help"] if describe else [])
    data = [row if describe else row[:3] for row in items]
    if fmt is render.Format.TABLE:
        typer.echo(f"# config file: {loaded.paths.config_file}")
    render.rows(columns, data, fmt)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the path of the config file in use."""
    typer.echo(str(state(ctx).config().paths.config_file))


@app.command("set")
def set_value(ctx: typer.Context, key: str, value: str) -> None:
    """Validate KEY=VALUE and write it to the config file."""
    st = state(ctx)
    written = st.services().settings_admin.set(st.optional_principal(), key, value)
    shown = "********" if written.secret else written.value
    typer.echo(f"{key} = {shown}  (written to {written.path})")
