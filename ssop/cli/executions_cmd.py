"""``ssop executions``: read the record of every action run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

if TYPE_CHECKING:
    from ssop.core.execution.executor import ExecutionRecord

app = CommandApp(help="Read execution records.", no_args_is_help=True)


@app.command("list")
def list_executions(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option("--server")] = None,
    action: Annotated[str | None, typer.Option("--action")] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="A user, or policy for runs policy started."),
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="e.g. failed, timed_out.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="An age (30m, 24h, 7d) or ISO time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest N.")] = 50,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """List executions, newest first (needs actions.read)."""
    st = state(ctx)
    records = st.store().executions.list(
        st.principal(),
        server=server,
        status=status,
        since=since,
        limit=limit,
        action=action,
        actor=actor,
    )
    columns = ["id", "started", "server", "action", "status", "exit", "seconds"]
    columns += ["actor", "trigger"]
    data = [
        [
            r.id,
            r.started_at,
            r.server_name,
            r.action_name,
            r.status.value,
            r.exit_code,
            seconds(r.duration_s),
            r.actor,
            r.trigger,
        ]
        for r in records
    ]
    render.rows(columns, data, fmt, out=out)


@app.command("show")
def show(
    ctx: typer.Context,
    execution_id: int,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Show one execution: who, why, the exact command, its output."""
    st = state(ctx)
    record = st.store().executions.show(st.principal(), execution_id)
    if fmt is not render.Format.TABLE:
        render.mapping(record_dict(record), fmt)
        return
    render.mapping(_details(record))
    _outputs(record)


def record_dict(r: ExecutionRecord) -> dict[str, Any]:
    """Everything recorded of one execution, output included (for JSON and CSV)."""
    return {**_details(r), "stdout": r.stdout, "stderr": r.stderr}


def _outputs(r: ExecutionRecord) -> None:
    from ssop.core.execution.executor import display_text

    for label, text in (("stdout", r.stdout), ("stderr", r.stderr)):
        if text:
            typer.echo(f"--- {label} ---")
            typer.echo(display_text(text).rstrip("\n"))


def _details(r: ExecutionRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "server": r.server_name,
        "action": r.action_name,
        "type": r.action_type,
        "status": r.status.value,
        "actor": r.actor,
        "trigger": r.trigger,
        "reason": r.reason,
        "params": r.params,
        "command": r.command,
        "exit_code": r.exit_code,
        "error": r.error,
        "started": r.started_at,
        "finished": r.finished_at,
        "seconds": seconds(r.duration_s),
        "stdout_truncated": r.stdout_truncated,
        "stderr_truncated": r.stderr_truncated,
        "request_id": r.request_id,
    }


def seconds(value: float | None) -> float | None:
    """A duration as shown and as JSON gives it: a number, to the hundredth."""
    return None if value is None else round(value, 2)
