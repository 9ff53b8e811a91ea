"""``ssop action``: the action catalogue and which servers may run what."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli import complete, render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

if TYPE_CHECKING:
    from ssop.core.actions.catalog import ActionDraft, ActionView

app = CommandApp(
    help="Manage actions and assign them to servers.", no_args_is_help=True
)

FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="A TOML action file (format: docs/actions.md); replaces options."
    ),
]
TypeOpt = Annotated[
    str | None, typer.Option("--type", help="command_get, command_execute or http.")
]
RiskOpt = Annotated[str | None, typer.Option("--risk", help="low, medium or high.")]
CommandOpt = Annotated[
    str | None,
    typer.Option("--command", help="Template, e.g. 'systemctl status {service}'."),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", help="NAME:TYPE[=DEFAULT] or NAME:path@/root (repeat)."),
]
GuardOpt = Annotated[
    list[str] | None,
    typer.Option("--guard", help="PARAM=GUARD: stoppable, killable, blockable."),
]
TimeoutOpt = Annotated[
    float | None, typer.Option("--timeout", help="Seconds the action may run.")
]
DescOpt = Annotated[str | None, typer.Option("--description")]
RootOpt = Annotated[
    bool | None,
    typer.Option("--needs-root/--no-needs-root", help="Run with sudo -n if not root."),
]
MethodOpt = Annotated[str | None, typer.Option("--method", help="HTTP method.")]
UrlOpt = Annotated[str | None, typer.Option("--url", help="HTTP URL template.")]
HeaderOpt = Annotated[
    list[str] | None, typer.Option("--header", help="'Name: value' (repeat).")
]
BodyOpt = Annotated[str | None, typer.Option("--body", help="JSON body template.")]


def _draft(**options: Any) -> ActionDraft:
    from ssop.core.actions.catalog import ActionDraft

    for key in ("params", "headers"):
        if options[key] is not None:
            options[key] = tuple(options[key])
    options["guards"] = tuple(options["guards"] or ())
    return ActionDraft(**options)


def _from_file(path: Path, name: str | None) -> Any:
    from ssop.core.actions.catalog import spec_from_file
    from ssop.core.errors import InvalidInput

    try:
        text = path.read_text()
    except OSError as e:
        raise InvalidInput(f"--file {path}: {e.strerror}") from e
    return spec_from_file(text, str(path), name)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument()] = None,
    file: FileOpt = None,
    type: TypeOpt = None,
    risk: RiskOpt = None,
    command: CommandOpt = None,
    param: ParamOpt = None,
    guard: GuardOpt = None,
    timeout: TimeoutOpt = None,
    description: DescOpt = None,
    needs_root: RootOpt = None,
    method: MethodOpt = None,
    url: UrlOpt = None,
    header: HeaderOpt = None,
    body: BodyOpt = None,
) -> None:
    """Create a custom action from options or from --file (needs actions.write).

    The file format, with examples, is in docs/actions.md.
    """
    st = state(ctx)
    if file is not None:
        spec = _from_file(file, name)
    else:
        draft = _draft(
            type=type,
            risk=risk,
            command=command,
            params=param,
            guards=guard,
            timeout_s=timeout,
            description=description,
            needs_root=needs_root,
            method=method,
            url=url,
            headers=header,
            body=body,
        )
        spec = draft.spec(name or "")
    view = st.store().actions.create(st.principal(), spec)
    typer.echo(f"created action {view.name} ({view.type}, risk {view.risk})")


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: str,
    file: FileOpt = None,
    type: TypeOpt = None,
    risk: RiskOpt = None,
    command: CommandOpt = None,
    param: ParamOpt = None,
    guard: GuardOpt = None,
    timeout: TimeoutOpt = None,
    description: DescOpt = None,
    needs_root: RootOpt = None,
    method: MethodOpt = None,
    url: UrlOpt = None,
    header: HeaderOpt = None,
    body: BodyOpt = None,
) -> None:
    """Change a custom action: given options replace, the rest stays."""
    st = state(ctx)
    actions, who = st.store().actions, st.principal()
    if file is not None:
        view = actions.replace(who, name, _from_file(file, name))
    else:
        draft = _draft(
            type=type,
            risk=risk,
            command=command,
            params=param,
            guards=guard,
            timeout_s=timeout,
            description=description,
            needs_root=needs_root,
            method=method,
            url=url,
            headers=header,
            body=body,
        )
        view = actions.edit(who, name, draft)
    typer.echo(f"changed action {view.name}: {view.template}")


@app.command("list")
def list_actions(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """List built-in and custom actions."""
    st = state(ctx)
    views = st.store().actions.list(st.principal())
    columns = ["name", "type", "risk", "enabled", "builtin", "timeout_s", "servers"]
    data = [
        [
            v.name,
            v.type.value,
            v.risk.value,
            v.enabled,
            v.builtin,
            v.timeout_s,
            list(v.servers),
        ]
        for v in views
    ]
    render.rows(columns, data, fmt, out=out)


@app.command("show")
def show(
    ctx: typer.Context,
    name: complete.ActionName,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Show one action: its template, parameters and servers."""
    st = state(ctx)
    render.mapping(_details(st.store().actions.show(st.principal(), name)), fmt)


def _details(v: ActionView) -> dict[str, Any]:
    params = [
        f"{p.name}: {p.type}"
        + ("" if p.required else f" = {p.default}")
        + (f" under {', '.join(p.roots)}" if p.roots else "")
        + (f" (guard {p.guard})" if p.guard else "")
        for p in v.params
    ]
    http = v.spec.http
    return {
        "name": v.name,
        "description": v.description,
        "type": v.type.value,
        "risk": v.risk.value,
        "timeout_s": v.timeout_s,
        "builtin": v.builtin,
        "enabled": v.enabled,
        "needs_root": v.needs_root,
        "template": v.template,
        "headers": [f"{n}: {h}" for n, h in http.headers] if http else [],
        "body": http.body_template if http else None,
        "params": params,
        "servers": list(v.servers),
    }


@app.command("rm")
def remove(
    ctx: typer.Context,
    name: str,
    force: Annotated[
        bool, typer.Option("--force", help="Also when assigned to servers.")
    ] = False,
) -> None:
    """Remove a custom action (built-ins can only be disabled)."""
    st = state(ctx)
    st.store().actions.remove(st.principal(), name, force=force)
    typer.echo(f"removed action {name}")


@app.command("disable")
def disable(ctx: typer.Context, name: complete.ActionName) -> None:
    """Refuse every run of an action until it is enabled again."""
    st = state(ctx)
    st.store().actions.set_enabled(st.principal(), name, False)
    typer.echo(f"disabled action {name}")


@app.command("enable")
def enable(ctx: typer.Context, name: complete.ActionName) -> None:
    """Allow a disabled action to run again."""
    st = state(ctx)
    st.store().actions.set_enabled(st.principal(), name, True)
    typer.echo(f"enabled action {name}")


@app.command("assign")
def assign(
    ctx: typer.Context,
    server: str,
    action: str,
    automatic: Annotated[
        bool,
        typer.Option("--automatic", help="Let policy run it without asking."),
    ] = False,
) -> None:
    """Let SERVER run ACTION (needs actions.write)."""
    st = state(ctx)
    link = st.store().actions.assign(
        st.principal(), server, action, automatic=automatic
    )
    how = "automatic" if link.automatic else "manual"
    typer.echo(f"assigned {link.action} to {link.server} ({how})")


@app.command("unassign")
def unassign(
    ctx: typer.Context, server: complete.ServerName, action: complete.ActionName
) -> None:
    """Stop SERVER from running ACTION."""
    st = state(ctx)
    st.store().actions.unassign(st.principal(), server, action)
    typer.echo(f"unassigned {action} from {server}")
