"""``ssop token``: API tokens for scripts (used through SSOP_TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp(help="Manage API tokens for scripts.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    role: Annotated[str, typer.Option("--role", help="At most your own role.")],
    expires: Annotated[
        str, typer.Option("--expires", help="e.g. 12h, 30d, 2w.")
    ] = "30d",
) -> None:
    """Create a token and print it once on stdout; it cannot be shown again."""
    st = state(ctx)
    created = st.store().tokens.create(st.principal(), name, role, expires)
    info = created.info
    typer.echo(
        f"token {info.name} ({info.role}) expires {render.when(info.expires_at)}; "
        "store it now, it is not shown again",
        err=True,
    )
    typer.echo(created.token)


@app.command("list")
def list_tokens(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """List tokens (never their secret)."""
    st = state(ctx)
    tokens = st.store().tokens.list(st.principal())
    columns = ["name", "role", "created_by", "expires", "revoked", "last_used"]
    data = [
        [
            t.name,
            t.role.value,
            t.created_by,
            t.expires_at,
            t.revoked_at,
            t.last_used_at,
        ]
        for t in tokens
    ]
    render.rows(columns, data, fmt, out=out)


@app.command("revoke")
def revoke(ctx: typer.Context, name: str) -> None:
    """Revoke a token; it stops working at once."""
    st = state(ctx)
    st.store().tokens.revoke(st.principal(), name)
    typer.echo(f"revoked token {name}")
