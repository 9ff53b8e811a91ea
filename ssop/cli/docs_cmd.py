"""``ssop docs``: documentation generated from the CLI itself."""

from __future__ import annotations

import typer

from ssop import __version__
from ssop.cli import render
from ssop.cli.usage import CommandApp

app = CommandApp(help="Documentation generated from the CLI.", no_args_is_help=True)


@app.command("man")
def man(
    ctx: typer.Context,
    out: render.OutputOpt = None,
) -> None:
    """Print the man page (roff), from the commands' own help texts.

    View it with: ssop docs man | man -l -
    """
    from ssop.cli.manpage import man_page

    render.emit(man_page(ctx.find_root().command, __version__), out)
