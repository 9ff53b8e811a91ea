"""``ssop role``: show and change the role -> capability matrix."""

from __future__ import annotations

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp
from ssop.core.accounts.permissions import Capability, Role

app = CommandApp(help="Show or change what each role may do.", no_args_is_help=True)


@app.command("list")
def list_roles(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """Show which capabilities each role holds."""
    st = state(ctx)
    matrix = st.store().roles.matrix(st.principal())
    columns = ["capability", *(r.value for r in Role)]
    data = [[c.value, *(c in matrix[r] for r in Role)] for c in Capability]
    render.rows(columns, data, fmt, out=out)


@app.command("grant")
def grant(ctx: typer.Context, role: str, capability: str) -> None:
    """Give ROLE the capability CAPABILITY."""
    st = state(ctx)
    changed = st.store().roles.grant(st.principal(), role, capability)
    typer.echo(
        f"granted {capability} to {role}"
        if changed
        else f"{role} already has {capability}"
    )


@app.command("revoke")
def revoke(ctx: typer.Context, role: str, capability: str) -> None:
    """Take CAPABILITY from ROLE (admin always keeps users.manage)."""
    st = state(ctx)
    changed = st.store().roles.revoke(st.principal(), role, capability)
    typer.echo(
        f"revoked {capability} from {role}"
        if changed
        else f"{role} did not have {capability}"
    )
