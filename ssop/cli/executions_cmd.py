"""``ssop executions``: read the record of every action run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli import render
from ssop.cli.state import state

if TYPE_CHECKING:
    from ssop.core.execution.executor import ExecutionRecord

app = typer.Typer(help="Read execution records.", no_args_is_help=True)


@app.command("list")
def list_executions(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option("--server")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="e.g. failed, timed_out.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="An age (30m, 24h, 7d) or ISO time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest N.")] = 50,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """List executions, newest first (needs actions.read)."""
    st = state(ctx)
    records = st.store().executions.list(
        st.principal(), server=server, status=status, since=since, limit=limit
    )
    columns = ["id", "started", "server", "action", "status", "exit", "seconds"]
    columns += ["actor", "trigger"]
    data = [
        [
            r.id,
            _time(r.started_at, fmt),
            r.server_name,
            r.action_name,
            r.status.value,
            r.exit_code,
            _seconds(r.duration_s),
            r.actor,
            r.trigger,
        ]
        for r in records
    ]
    render.rows(columns, data, fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    execution_id: int,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Show one execution: who, why, the exact command, its output."""
    from ssop.core.execution.executor import display_text

    st = state(ctx)
    record = st.store().executions.show(st.principal(), execution_id)
    details = _details(record, fmt)
    if fmt is render.Format.TABLE:
        render.mapping(details, fmt)
        for label, text in (("stdout", record.stdout), ("stderr", record.stderr)):
            if text:
                typer.echo(f"--- {label} ---")
                typer.echo(display_text(text).rstrip("\n"))
    else:
        render.mapping(
            {**details, "stdout": record.stdout, "stderr": record.stderr}, fmt
        )


def _details(r: ExecutionRecord, fmt: render.Format) -> dict[str, Any]:
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
        "started": _time(r.started_at, fmt),
        "finished": _time(r.finished_at, fmt),
        "seconds": _seconds(r.duration_s),
        "stdout_truncated": r.stdout_truncated,
        "stderr_truncated": r.stderr_truncated,
        "request_id": r.request_id,
    }


def _time(value: Any, fmt: render.Format) -> str:
    if value is None:
        return ""
    return (
        f"{value:%Y-%m-%d %H:%M:%S} UTC"
        if fmt is render.Format.TABLE
        else value.isoformat()
    )


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
