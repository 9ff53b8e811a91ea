"""``ssop login``, ``ssop logout`` and ``ssop whoami`` (top-level commands)."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import prompts, render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("login")
def login(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option("--username", "-u")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Log in and keep a session token in a file only you can read."""
    st = state(ctx)
    name = username or prompts.text("Username", flag="--username")
    password = prompts.password(password_stdin, confirm=False)
    result = st.store().auth.login(name, password)
    st.session_file().write(result.token)
    who = result.principal
    typer.echo(
        f"logged in as {who.name} ({who.role}) until {render.when(result.expires_at)}"
    )


@app.command("logout")
def logout(ctx: typer.Context) -> None:
    """End the login session and delete the session file."""
    st = state(ctx)
    token = st.session_file().read()
    if token is None:
        typer.echo("not logged in")
        return
    st.store().auth.logout(token)
    st.session_file().clear()
    typer.echo("logged out")


@app.command("whoami")
def whoami(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Show who you are logged in as, your role and when the session ends."""
    st = state(ctx)
    me = st.store().auth.whoami(st.principal())
    data = {
        "user": me.name if me.kind == "user" else f"{me.kind}:{me.name}",
        "role": me.role.value,
        "expires": me.expires_at,
        "capabilities": [c.value for c in me.capabilities],
    }
    render.mapping(data, fmt)
