"""``ssop run``: run an action on one server, or on every server with a tag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state

if TYPE_CHECKING:
    from rich.progress import Progress

    from ssop.core.accounts.permissions import Principal
    from ssop.core.execution.executor import ExecutionRecord
    from ssop.core.execution.manual_runs import (
        FanoutItem,
        FanoutPlan,
        RunPlan,
        RunService,
    )

app = typer.Typer()


@app.command("run")
def run(
    ctx: typer.Context,
    targets: Annotated[list[str], typer.Argument(metavar="[SERVER] ACTION")],
    tag: Annotated[
        str | None, typer.Option("--tag", help="Run on every server with this tag.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="NAME=VALUE (repeat).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the command; run nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before changing anything.")
    ] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="Also print a get action's raw output.")
    ] = False,
    parallel: Annotated[
        int, typer.Option("--parallel", help="Servers at a time with --tag.")
    ] = 8,
    reason: Annotated[str, typer.Option("--reason", help="Kept in the record.")] = "",
) -> int:
    """Run ACTION on SERVER (or on --tag T); asks before anything but a get action."""
    from ssop.core.execution.manual_runs import parse_param_args

    server, action = _targets(targets, tag)
    st = state(ctx)
    runs, who, params = st.store().runs, st.principal(), parse_param_args(param or ())
    if tag is not None:
        if dry_run:
            return _show_fanout_plan(runs.plan_tag(who, tag, action, params))
        items = _fan_out(runs, who, tag, action, params, yes, parallel, reason)
        return _fanout_table(items)
    if dry_run:
        return _show_plan(runs.dry_run(who, server, action, params))
    confirm = (lambda _plan: True) if yes else _ask
    record = runs.run(who, server, action, params, confirm=confirm, reason=reason)
    return _outcome(record, raw)


def _targets(targets: list[str], tag: str | None) -> tuple[str, str]:
    from ssop.core.errors import InvalidInput

    if tag is not None and len(targets) == 1:
        return "", targets[0]
    if tag is None and len(targets) == 2:
        return targets[0], targets[1]
    raise InvalidInput("give SERVER ACTION, or --tag TAG ACTION")


def _ask(plan: RunPlan) -> bool:
    typer.echo(f"{plan.server}: {plan.command}", err=True)
    return typer.confirm(
        f"Run {plan.action} (risk {plan.risk}) on {plan.server}?",
        default=False,
        abort=True,
        err=True,
    )


def _ask_fanout(plan: FanoutPlan) -> bool:
    for p in plan.plans:
        typer.echo(f"{p.server}: {p.command}", err=True)
    for refusal in plan.refused:
        typer.echo(f"{refusal.server}: refused: {refusal.error.message}", err=True)
    return typer.confirm(
        f"Run {plan.action} on {len(plan.plans)} server(s) tagged {plan.tag}?",
        default=False,
        abort=True,
        err=True,
    )


def _show_plan(plan: RunPlan) -> int:
    typer.echo(plan.command)
    typer.echo(
        f"dry run: {plan.action} (risk {plan.risk}) on {plan.server}; nothing ran",
        err=True,
    )
    return 0


def _show_fanout_plan(plan: FanoutPlan) -> int:
    for p in plan.plans:
        typer.echo(f"{p.server}: {p.command}")
    for refusal in plan.refused:
        typer.echo(f"{refusal.server}: refused: {refusal.error.message}", err=True)
    typer.echo(f"dry run: {plan.action} on tag {plan.tag}; nothing ran", err=True)
    return 0


def _outcome(record: ExecutionRecord, raw: bool) -> int:
    from ssop.core.actions.summary import summarise_get
    from ssop.core.errors import CommandTimeout, TransportError
    from ssop.core.execution.executor import ExecutionStatus, display_text
    from ssop.core.models.action import ActionType

    hint = f"recorded as execution #{record.id} ({record.status})"
    if record.status is ExecutionStatus.TIMED_OUT:
        raise CommandTimeout(record.error, hint=hint)
    if record.error:
        raise TransportError(record.error, hint=hint)
    summary = record.stdout
    if record.action_type == ActionType.COMMAND_GET:
        summary = summarise_get(record.action_name, record.stdout)
    _print(summary)
    if raw and summary != record.stdout:
        typer.echo("--- raw output ---")
        _print(record.stdout)
    if record.stderr:
        typer.echo(display_text(record.stderr).rstrip("\n"), err=True)
    typer.echo(_status_line(record), err=True)
    return 0 if record.ok else 1


def _print(text: str) -> None:
    from ssop.core.execution.executor import display_text

    if text:
        typer.echo(display_text(text).rstrip("\n"))


def _status_line(r: ExecutionRecord) -> str:
    code = "" if r.exit_code is None else f"exit {r.exit_code}, "
    cut = ", output truncated" if r.stdout_truncated or r.stderr_truncated else ""
    return (
        f"{r.server_name}: {r.action_name} {r.status} "
        f"({code}{r.duration_s or 0:.2f}s{cut}), execution #{r.id}"
    )


class _Bar:
    """A progress bar shown from the first finished server, after any prompt."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Progress | None = None

    def advance(self, _item: FanoutItem, done: int, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        if self.bar is None:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
            )
            self.bar = Progress(*columns, console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _fan_out(
    runs: RunService,
    who: Principal,
    tag: str,
    action: str,
    params: dict[str, str],
    yes: bool,
    parallel: int,
    reason: str,
) -> list[FanoutItem]:
    confirm = (lambda _plan: True) if yes else _ask_fanout
    bar = _Bar(f"{action} on tag {tag}")
    try:
        return runs.run_tag(
            who,
            tag,
            action,
            params,
            confirm=confirm,
            progress=bar.advance,
            parallel=parallel,
            reason=reason,
        )
    finally:
        bar.close()


def _fanout_table(items: list[FanoutItem]) -> int:
    from ssop.core.execution.executor import display_text

    data = []
    for i in items:
        r = i.record
        note = i.error or (r.error if r else "") or _first_line(r.stdout if r else "")
        data.append(
            [
                i.server,
                r.status.value if r else "refused",
                r.exit_code if r else None,
                f"{r.duration_s or 0:.2f}" if r else "",
                r.id if r else None,
                display_text(note),
            ]
        )
    render.rows(["server", "status", "exit", "seconds", "execution", "note"], data)
    return 0 if all(i.record and i.record.ok for i in items) else 1


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:80] if text.strip() else ""
