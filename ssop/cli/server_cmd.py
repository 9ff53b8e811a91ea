"""``ssop server``: add, list, show, edit, remove, test and trust servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli import complete, prompts, render, server_import
from ssop.cli.state import authorize, state
from ssop.cli.usage import CommandApp
from ssop.core.accounts.permissions import Capability
from ssop.core.errors import InvalidInput

if TYPE_CHECKING:
    from ssop.core.fleet.server_input import HostKeyDecision, KeySource
    from ssop.core.fleet.servers import ServerDetail, ServerTestResult, ServerView
    from ssop.core.transport.base import HostKey

app = CommandApp(help="Manage the servers ssop watches.", no_args_is_help=True)
app.command("import")(server_import.import_hosts)

Host = Annotated[str | None, typer.Option("--host", help="Hostname or IP address.")]
Port = Annotated[int | None, typer.Option("--port", help="SSH port (default 22).")]
LoginUser = Annotated[
    str | None, typer.Option("--user", help="Login user (default root).")
]
KeyFile = Annotated[
    Path | None,
    typer.Option("--key-file", help="Private key to log in with; stored encrypted."),
]
PassphraseStdin = Annotated[
    bool,
    typer.Option("--passphrase-stdin", help="Read the key's passphrase from stdin."),
]
Tags = Annotated[
    list[str] | None,
    typer.Option("--tag", help="A tag (repeatable).", autocompletion=complete.tags),
]
AcceptKey = Annotated[
    str | None,
    typer.Option(
        "--accept-host-key",
        metavar="SHA256:...",
        help="Pin the host key only if it has this fingerprint.",
    ),
]
Jump = Annotated[
    list[str] | None,
    typer.Option(
        "--jump",
        metavar="NAME|user@host:port",
        help="Reach it through this jump host (repeat, or commas, for a chain; "
        "first hop first).",
    ),
]
Tofu = Annotated[
    bool,
    typer.Option(
        "--trust-on-first-use", help="Pin whatever host key the server presents now."
    ),
]


@app.command("add")
def add(
    ctx: typer.Context,
    name: str,
    host: Host = None,
    port: Port = None,
    user: LoginUser = None,
    key_file: KeyFile = None,
    agent: Annotated[
        bool, typer.Option("--agent", help="Log in via ssh-agent.")
    ] = False,
    passphrase_stdin: PassphraseStdin = False,
    tag: Tags = None,
    description: Annotated[str, typer.Option("--description")] = "",
    local: Annotated[
        bool, typer.Option("--local", help="This machine: no SSH, no shell.")
    ] = False,
    accept_host_key: AcceptKey = None,
    trust_on_first_use: Tofu = False,
    jump: Jump = None,
    default_actions: Annotated[
        bool,
        typer.Option(
            "--default-actions/--no-default-actions",
            help="Assign the built-in get actions, so crawls watch it at once.",
        ),
    ] = True,
) -> None:
    """Add a remote server (--host, and --key-file or --agent) or this one (--local).

    A remote server's host key is shown and pinned only once accepted: at the
    prompt, by --accept-host-key, or by --trust-on-first-use. A --jump given as
    user@host:port that no server has yet is added as a server too (tag jump).
    """
    from ssop.core.fleet.server_input import ServerCreate

    principal = authorize(ctx, Capability.SERVERS_WRITE)
    key = _key(key_file, passphrase_stdin)
    spec = ServerCreate(
        name,
        host,
        port=port,
        username=user,
        local=local,
        use_agent=agent,
        key=key,
        tags=tuple(tag or ()),
        description=description,
        default_actions=default_actions,
        jump=tuple(jump or ()),
    )
    decision = _decision(name, accept_host_key, trust_on_first_use)
    view = state(ctx).store().servers.add(principal, spec, decision)
    pinned = f"; pinned host key {view.host_key_fingerprint}" if not local else ""
    render.ok(f"added server {view.name} ({_where(view)}){pinned}")


@app.command("list")
def list_servers(
    ctx: typer.Context,
    tag: Annotated[
        str | None,
        typer.Option("--tag", help="Only this tag.", autocompletion=complete.tags),
    ] = None,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """List servers (never any key material)."""
    st = state(ctx)
    views = st.store().servers.list(st.principal(), tag)
    columns = ["name", "host", "port", "user", "auth", "tags", "enabled", "host_key"]
    data = [
        [v.name, *_address(v), v.auth, list(v.tags), v.enabled, v.host_key_fingerprint]
        for v in views
    ]
    render.rows(columns, data, fmt, out=out)


@app.command("show")
def show(
    ctx: typer.Context,
    name: complete.ServerName,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Show one server, its key fingerprints and its assigned actions."""
    st = state(ctx)
    detail = st.store().servers.show(st.principal(), name)
    if fmt is not render.Format.TABLE:
        render.mapping(_detail_dict(detail), fmt)
        return
    render.mapping(_view_dict(detail.server))
    actions = [[a.name, a.automatic, a.risk, a.enabled] for a in detail.actions]
    if actions:
        render.rows(["action", "automatic", "risk", "enabled"], actions)
    else:
        render.ok("no actions assigned")


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: complete.ServerName,
    host: Host = None,
    port: Port = None,
    user: LoginUser = None,
    key_file: KeyFile = None,
    agent: Annotated[bool | None, typer.Option("--agent/--no-agent")] = None,
    passphrase_stdin: PassphraseStdin = False,
    tag: Tags = None,
    clear_tags: Annotated[bool, typer.Option("--clear-tags")] = False,
    description: Annotated[str | None, typer.Option("--description")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    jump: Jump = None,
    no_jump: Annotated[
        bool, typer.Option("--no-jump", help="Connect directly again.")
    ] = False,
) -> None:
    """Change only the fields given; the stored key stays unless --key-file is given.

    A new --host or --port unpins the host key: `ssop server test` asks again.
    """
    from ssop.core.fleet.server_input import ServerChanges

    principal = authorize(ctx, Capability.SERVERS_WRITE)
    key = _key(key_file, passphrase_stdin)
    tags = _tags(tag, clear_tags)
    changes = ServerChanges(
        host=host,
        port=port,
        username=user,
        use_agent=agent,
        key=key,
        tags=tags,
        description=description,
        enabled=enabled,
        jump=_jump_names(jump, no_jump),
    )
    view = state(ctx).store().servers.edit(principal, name, changes)
    render.ok(f"updated server {view.name} ({_where(view)})")
    if not view.local and view.host_key_fingerprint is None:
        render.ok(f"no host key is pinned now: run `ssop server test {name}`")


@app.command("rm")
def remove(
    ctx: typer.Context,
    name: complete.ServerName,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Remove a server, its tags and its action assignments (asks first)."""
    st = state(ctx)
    principal = st.principal()
    if not yes:
        view = st.store().servers.show(principal, name).server
        prompts.confirm(f"Remove server {name} ({_where(view)})?")
    st.store().servers.remove(principal, name)
    render.ok(f"removed server {name}")


@app.command("test")
def test(
    ctx: typer.Context,
    name: complete.ServerName,
    accept_host_key: AcceptKey = None,
    trust_on_first_use: Tofu = False,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Connect, run a trivial command; show latency, OS and the host key."""
    st = state(ctx)
    decision = _decision(name, accept_host_key, trust_on_first_use)
    result = st.store().servers.test(st.principal(), name, decision)
    render.mapping(_test_dict(result), fmt)


@app.command("trust")
def trust(
    ctx: typer.Context,
    name: complete.ServerName,
    fingerprint: Annotated[
        str,
        typer.Option("--fingerprint", metavar="SHA256:...", help="The expected key."),
    ],
) -> None:
    """Pin the host key the server presents now, if it has this fingerprint."""
    st = state(ctx)
    key = st.store().servers.trust(st.principal(), name, fingerprint)
    render.ok(f"pinned host key {key.key_type} {key.fingerprint} for server {name}")


def _key(path: Path | None, passphrase_stdin: bool) -> KeySource | None:
    if path is None:
        if passphrase_stdin:
            raise InvalidInput("--passphrase-stdin needs --key-file")
        return None
    from ssop.core.fleet.server_input import KeySource

    passphrase = prompts.password(True) if passphrase_stdin else None
    return KeySource(path, passphrase)


def _jump_names(jump: list[str] | None, clear: bool) -> tuple[str, ...] | None:
    if clear and jump:
        raise InvalidInput("give either --jump or --no-jump, not both")
    if clear:
        return ()
    from ssop.core.fleet.jump_chain import parse_hops

    hops = parse_hops(jump or ())
    if any(not isinstance(h, str) for h in hops):
        raise InvalidInput(
            "server edit --jump takes servers' names; add the jump host first "
            "(ssop server add NAME --host ...) or give it to server add"
        )
    return tuple(str(h) for h in hops) or None


def _tags(tags: list[str] | None, clear: bool) -> tuple[str, ...] | None:
    if clear and tags:
        raise InvalidInput("give either --tag or --clear-tags, not both")
    return () if clear else (tuple(tags) if tags else None)


def _decision(name: str, accept: str | None, tofu: bool) -> HostKeyDecision:
    from ssop.core.fleet.server_input import HostKeyDecision

    return HostKeyDecision(accept, tofu, confirm=_asker(name))


def _asker(name: str) -> Callable[[HostKey], bool]:
    def ask(key: HostKey) -> bool:
        if not prompts.can_ask():  # nobody to ask: never accept a key silently
            raise InvalidInput(
                f"server {name}: cannot ask whether to pin host key "
                f"{key.key_type} {key.fingerprint}: standard input is not a "
                "terminal; nothing was stored",
                hint=f"use --accept-host-key {key.fingerprint} "
                "(or --trust-on-first-use)",
            )
        typer.echo(
            f"server {name} presents host key {key.key_type} {key.fingerprint}",
            err=True,
        )
        return typer.confirm("Pin this host key?", default=False, err=True)

    return ask


def _where(view: ServerView) -> str:
    return "local" if view.local else f"{view.username}@{view.host}:{view.port}"


def _address(view: ServerView) -> tuple[str, int | None, str | None]:
    """Host, port and user; a local server has no port or login."""
    if view.local:
        return view.host, None, None
    return view.host, view.port, view.username


def _view_dict(view: ServerView) -> dict[str, Any]:
    host, port, user = _address(view)
    return {
        "name": view.name,
        "host": host,
        "port": port,
        "user": user,
        "auth": view.auth,
        "key_fingerprint": view.key_fingerprint,
        "host_key_fingerprint": view.host_key_fingerprint,
        "tags": list(view.tags),
        "description": view.description,
        "enabled": view.enabled,
        "jump": ",".join(view.jump) or None,
    }


def _detail_dict(detail: ServerDetail) -> dict[str, Any]:
    actions = [
        {"name": a.name, "automatic": a.automatic, "risk": a.risk, "enabled": a.enabled}
        for a in detail.actions
    ]
    return {**_view_dict(detail.server), "actions": actions}


def _test_dict(result: ServerTestResult) -> dict[str, Any]:
    return {
        "server": result.name,
        "connect_ms": round(result.connect_ms, 1),
        "latency_ms": round(result.latency_ms, 1),
        "os": result.os,
        "host_key": result.host_key_fingerprint or "none (local)",
    }
