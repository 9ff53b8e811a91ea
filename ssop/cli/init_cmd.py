"""``ssop init``: create the config file, master key, database and first admin."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import prompts
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("init")
def init(
    ctx: typer.Context,
    admin_password_stdin: Annotated[
        bool,
        typer.Option(
            "--admin-password-stdin", help="Read the first admin's password from stdin."
        ),
    ] = False,
) -> None:
    """Set ssop up; the first admin's password comes from APP_INIT_SECRET if set."""

    def ask() -> str:
        return prompts.password(
            admin_password_stdin,
            "Password for sysadmin",
            flag="--admin-password-stdin or APP_INIT_SECRET",
        )

    report = state(ctx).setup_services().init.run(ask)
    for line in report.done:
        typer.echo(line)
    if report.admin:
        typer.echo(f"password of {report.admin} set from {report.password_from}")
        typer.echo(f"next: ssop login --username {report.admin}")
