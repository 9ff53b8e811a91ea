"""``ssop secrets``: the master key that encrypts stored SSH keys."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp(
    help="Manage the master key that encrypts stored secrets.", no_args_is_help=True
)


@app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Re-encrypt every stored key under a new master key, without downtime.

    Needs settings.write. When SSOP_SECRET_KEY gives the key, set it to
    NEW,OLD first (see `ssop secrets new-key`); this re-encrypts under NEW.
    """
    st = state(ctx)
    report = st.store().secrets_admin.rotate(st.principal())
    done = f"re-encrypted {report.secrets} secrets of {report.servers} servers"
    if report.key_file is not None:
        render.ok(f"rotated the master key in {report.key_file}; {done}")
        return
    render.ok(f"{done} under {report.source}")
    if report.retired_keys:
        typer.echo(
            f"now remove the {report.retired_keys} old key(s) after the first "
            "from that setting, for every ssop process",
            err=True,
        )


@app.command("new-key")
def new_key() -> None:
    """Print a new master key (for SSOP_SECRET_KEY); nothing is stored."""
    from ssop.core.secrets.master_key import generate_master_key

    typer.echo(generate_master_key().decode())


@app.command("reset")
def reset(
    ctx: typer.Context,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (for scripts).")
    ] = False,
) -> None:
    """Drop every stored SSH key and passphrase, after the master key was lost.

    Admin only, audited. The servers stay: give each its key again with
    `ssop server edit NAME --key-file PATH`.
    """
    st = state(ctx)
    service, who = st.store().sealed_secrets, st.principal()
    sealed = service.summary(who)
    if not sealed.secrets:
        render.ok("no sealed secrets to drop")
        return
    if not yes:
        typer.confirm(
            f"Drop the {sealed.secrets} sealed secret(s) of servers "
            f"{', '.join(sealed.servers)}? They cannot be recovered",
            abort=True,
            err=True,
        )
    dropped = service.reset(who)
    render.ok(
        f"dropped {dropped.secrets} sealed secret(s) "
        f"of {len(dropped.servers)} server(s)"
    )
    typer.echo(
        "next: ssop init (creates a new master key if there is none), then "
        "ssop server edit NAME --key-file PATH for each server"
    )
