"""``ssop run``: run an action on one server, or on every server with a tag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli import prompts, render
from ssop.cli.executions_cmd import record_dict, seconds
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

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

app = CommandApp()


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
    fmt: render.FormatOption = render.Format.TABLE,
) -> int:
    """Run ACTION on SERVER (or on --tag T); asks before anything but a get action.

    Ctrl-C ends the command on the server, records the execution (cancelled,
    or unknown when its end could not be confirmed), says so, and exits 130.
    """
    from ssop.core.execution.executor import ExecutionInterrupted
    from ssop.core.execution.manual_runs import parse_param_args

    server, action = _targets(targets, tag)
    st = state(ctx)
    runs, who, params = st.store().runs, st.principal(), parse_param_args(param or ())
    if tag is not None:
        if dry_run:
            return _show_fanout_plan(runs.plan_tag(who, tag, action, params), fmt)
        items = _fan_out(runs, who, tag, action, params, yes, parallel, reason)
        return _fanout_table(items, fmt)
    if dry_run:
        return _show_plan(runs.dry_run(who, server, action, params), fmt)
    confirm = (lambda _plan: True) if yes else _ask
    try:
        record = runs.run(who, server, action, params, confirm=confirm, reason=reason)
    except ExecutionInterrupted as e:
        _interrupted(e.record)
        raise
    return _outcome(record, raw, fmt)


def _targets(targets: list[str], tag: str | None) -> tuple[str, str]:
    from ssop.core.errors import InvalidInput

    if tag is not None and len(targets) == 1:
        return "", targets[0]
    if tag is None and len(targets) == 2:
        return targets[0], targets[1]
    raise InvalidInput("give SERVER ACTION, or --tag TAG ACTION")


def _ask(plan: RunPlan) -> bool:
    return prompts.confirm(
        f"Run {plan.action} (risk {plan.risk}) on {plan.server}?",
        show=[f"{plan.server}: {plan.command}"],
    )


def _ask_fanout(plan: FanoutPlan) -> bool:
    lines = [f"{p.server}: {p.command}" for p in plan.plans]
    lines += [f"{r.server}: refused: {r.error.message}" for r in plan.refused]
    return prompts.confirm(
        f"Run {plan.action} on {len(plan.plans)} server(s) tagged {plan.tag}?",
        show=lines,
    )


def _show_plan(plan: RunPlan, fmt: render.Format) -> int:
    if fmt is render.Format.TABLE:
        typer.echo(plan.command)
    else:
        shown = {"server": plan.server, "action": plan.action, "risk": plan.risk}
        render.mapping({**shown, "command": plan.command}, fmt)
    typer.echo(
        f"dry run: {plan.action} (risk {plan.risk}) on {plan.server}; nothing ran",
        err=True,
    )
    return 0


def _show_fanout_plan(plan: FanoutPlan, fmt: render.Format) -> int:
    if fmt is render.Format.TABLE:
        for p in plan.plans:
            typer.echo(f"{p.server}: {p.command}")
        for refusal in plan.refused:
            typer.echo(f"{refusal.server}: refused: {refusal.error.message}", err=True)
    else:
        data = [[p.server, p.command, None] for p in plan.plans]
        data += [[r.server, None, r.error.message] for r in plan.refused]
        render.rows(["server", "command", "refused"], data, fmt)
    typer.echo(f"dry run: {plan.action} on tag {plan.tag}; nothing ran", err=True)
    return 0


def _outcome(record: ExecutionRecord, raw: bool, fmt: render.Format) -> int:
    from ssop.core.errors import CommandTimeout, TransportError
    from ssop.core.execution.executor import ExecutionStatus

    hint = f"recorded as execution #{record.id} ({record.status})"
    if record.error:
        _output(record)  # what a command printed before its deadline
    if record.status is ExecutionStatus.TIMED_OUT:
        raise CommandTimeout(record.error, hint=hint)
    if record.error:
        raise TransportError(record.error, hint=hint)
    if fmt is render.Format.TABLE:
        _print_outcome(record, raw)
    else:
        render.mapping({**record_dict(record), "summary": _readable(record)}, fmt)
    typer.echo(_status_line(record), err=True)
    return 0 if record.ok else 1


def _print_outcome(record: ExecutionRecord, raw: bool) -> None:
    from ssop.core.execution.executor import display_text

    summary = _readable(record)
    _print(summary)
    if raw and summary != record.stdout:
        typer.echo("--- raw output ---")
        _print(record.stdout)
    if record.stderr:
        typer.echo(display_text(record.stderr).rstrip("\n"), err=True)


def _readable(record: ExecutionRecord) -> str:
    """A get action's readings as text (not raw /proc); other output unchanged."""
    from ssop.core.actions.summary import summarise_get
    from ssop.core.models.action import ActionType

    if record.action_type == ActionType.COMMAND_GET:
        return summarise_get(record.action_name, record.stdout)
    return record.stdout


def _interrupted(record: ExecutionRecord) -> None:
    _output(record)
    typer.echo(f"ssop: interrupted: {record.error}", err=True)
    typer.echo(_status_line(record), err=True)


def _output(record: ExecutionRecord) -> None:
    from ssop.core.execution.executor import display_text

    _print(record.stdout)
    if record.stderr:
        typer.echo(display_text(record.stderr).rstrip("\n"), err=True)


def _print(text: str) -> None:
    from ssop.core.execution.executor import display_text

    if text:
        typer.echo(display_text(text).rstrip("\n"))


def _status_line(r: ExecutionRecord) -> str:
    code = "" if r.exit_code is None else f"exit {r.exit_code}, "
    cut = ", output truncated" if r.stdout_truncated or r.stderr_truncated else ""
    if cut and r.exit_code is None and r.ok:
        cut += " (the command was ended there)"
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


def _fanout_table(items: list[FanoutItem], fmt: render.Format) -> int:
    columns = ["server", "status", "exit", "seconds", "execution", "output"]
    render.rows(columns, [_fanout_row(i) for i in items], fmt)
    return 0 if all(i.record and i.record.ok for i in items) else 1


def _fanout_row(item: FanoutItem) -> list[object]:
    r = item.record
    if r is None:
        return [item.server, "refused", None, None, None, item.error]
    output = item.error or r.error or _fanout_output(r)
    return [
        item.server,
        r.status.value,
        r.exit_code,
        seconds(r.duration_s),
        r.id,
        output,
    ]


def _fanout_output(r: ExecutionRecord) -> str:
    """A get action's readings in full; of other actions the first line of output."""
    from ssop.core.execution.executor import display_text
    from ssop.core.models.action import ActionType

    text = _readable(r).strip()
    if r.action_type != ActionType.COMMAND_GET:
        text = text.splitlines()[0][:80] if text else ""
    return display_text(text)
