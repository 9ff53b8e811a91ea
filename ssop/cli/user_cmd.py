"""``ssop user``: manage user accounts and passwords."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import prompts, render
from ssop.cli.state import authorize, state
from ssop.cli.usage import CommandApp
from ssop.core.accounts.permissions import Capability

app = CommandApp(help="Manage users.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password(s) from stdin.")
]


@app.command("add")
def add(
    ctx: typer.Context,
    name: str,
    role: Annotated[str, typer.Option("--role", help="admin, operator or viewer.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (prompts twice for the password unless --password-stdin)."""
    principal = authorize(ctx, Capability.USERS_MANAGE)
    password = prompts.password(password_stdin)
    user = state(ctx).store().users.add(principal, name, role, password)
    typer.echo(f"added user {user.name} ({user.role})")


@app.command("list")
def list_users(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """List users, their role and state."""
    st = state(ctx)
    users = st.store().users.list(st.principal())
    columns = ["name", "role", "disabled", "locked_until", "created"]
    data = [
        [
            u.name,
            u.role.value,
            u.disabled,
            u.locked_until,
            u.created_at,
        ]
        for u in users
    ]
    render.rows(columns, data, fmt, out=out)


@app.command("rm")
def remove(ctx: typer.Context, name: str) -> None:
    """Remove a user (never the last active admin, never yourself)."""
    st = state(ctx)
    st.store().users.remove(st.principal(), name)
    typer.echo(f"removed user {name}")


@app.command("passwd")
def passwd(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument()] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Change your password (current one first), or NAME's with users.manage.

    With --password-stdin, give the current password on the first line when
    changing your own, then the new one.
    """
    st = state(ctx)
    principal = st.principal()
    own = principal.kind == "user" and name in (None, principal.name)
    current = (
        prompts.password(password_stdin, "Current password", False) if own else None
    )
    new = prompts.password(password_stdin, "New password")
    changed = st.store().users.passwd(principal, name, new, current)
    typer.echo(f"password of {changed} changed; its other sessions were ended")


@app.command("set-role")
def set_role(ctx: typer.Context, name: str, role: str) -> None:
    """Give NAME the role ROLE (admin, operator or viewer)."""
    st = state(ctx)
    user = st.store().users.set_role(st.principal(), name, role)
    typer.echo(f"{user.name} is now {user.role}")


@app.command("disable")
def disable(ctx: typer.Context, name: str) -> None:
    """Stop NAME from logging in; its sessions stop working at once."""
    st = state(ctx)
    done = st.store().users.disable(st.principal(), name)
    typer.echo(f"disabled {name}" if done.changed else f"{name} was already disabled")


@app.command("enable")
def enable(ctx: typer.Context, name: str) -> None:
    """Let a disabled user log in again (a lock from failed logins stays: unlock)."""
    st = state(ctx)
    done = st.store().users.enable(st.principal(), name)
    typer.echo(f"enabled {name}" if done.changed else f"{name} was not disabled")
    if done.user.locked_until is not None:
        typer.echo(
            f"{name} is still locked after failed logins until "
            f"{render.when(done.user.locked_until)}; "
            f"to lift it: ssop user unlock {name}"
        )


@app.command("unlock")
def unlock(ctx: typer.Context, name: str) -> None:
    """Lift a lock from failed logins now (needs users.manage)."""
    st = state(ctx)
    done = st.store().users.unlock(st.principal(), name)
    typer.echo(f"unlocked {name}" if done.changed else f"{name} was not locked")
    if done.user.disabled:
        typer.echo(f"{name} is disabled; to let it log in: ssop user enable {name}")
