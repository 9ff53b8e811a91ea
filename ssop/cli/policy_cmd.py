"""``ssop pause|resume|explain``, ``ssop policy ...`` and ``ssop maintenance ...``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

if TYPE_CHECKING:
    from ssop.core.policy.admin import AutomationStatus, ExplainLine

app = CommandApp(no_args_is_help=True)
policy = CommandApp(
    help="Automation policy: status, shadow mode, demotions.", no_args_is_help=True
)
maintenance = CommandApp(help="Maintenance windows and silences.", no_args_is_help=True)
app.add_typer(policy, name="policy")
app.add_typer(maintenance, name="maintenance")


@app.command("pause")
def pause(
    ctx: typer.Context, reason: Annotated[str, typer.Option("--reason")] = ""
) -> None:
    """Kill switch: nothing runs by itself until `ssop resume` (needs approvals.decide).

    Automatic runs stop and approved requests wait for the resume; they still
    expire as usual. Runs by hand (`ssop run`) are not held. Pausing again
    keeps the first pauser and reason.
    """
    st = state(ctx)
    outcome = st.store().policy_admin.pause(st.principal(), reason)
    if outcome.already:
        render.ok("automation was already paused; the first pause stands")
    _status(outcome.status)


@app.command("resume")
def resume(ctx: typer.Context) -> None:
    """Let automation run again (admin: settings.write)."""
    st = state(ctx)
    _status(st.store().policy_admin.resume(st.principal()))


@app.command("explain")
def explain(
    ctx: typer.Context, analysis_id: int, fmt: render.FormatOption = render.Format.TABLE
) -> None:
    """Per recommendation of an analysis: executed, queued or blocked, and the gate."""
    st = state(ctx)
    lines = st.store().policy_admin.explain(st.principal(), analysis_id)
    _lines(lines, fmt)


@policy.command("status")
def status(ctx: typer.Context, fmt: render.FormatOption = render.Format.TABLE) -> None:
    """Paused or not, live or shadow, and demoted actions."""
    st = state(ctx)
    s = st.store().policy_admin.status(st.principal())
    if fmt is render.Format.TABLE:
        _status(s)
    else:
        render.mapping(_status_dict(s), fmt)


@policy.command("promote")
def promote(
    ctx: typer.Context,
    server: Annotated[
        str | None, typer.Option("--server", help="Only this server.")
    ] = None,
) -> None:
    """Leave shadow mode: the whole fleet, or one server (admin)."""
    st = state(ctx)
    _status(st.store().policy_admin.promote(st.principal(), server))


@policy.command("shadow")
def shadow(ctx: typer.Context) -> None:
    """Put the whole fleet (back) in shadow mode."""
    st = state(ctx)
    _status(st.store().policy_admin.shadow(st.principal()))


@policy.command("shadow-report")
def shadow_report(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="e.g. 24h, 7d.")] = "24h",
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """What shadow mode would have executed."""
    from ssop.core.durations import YEAR, parse_duration

    st = state(ctx)
    lines = st.store().policy_admin.shadow_report(
        st.principal(), parse_duration(since, at_most=YEAR)
    )
    _lines(lines, fmt)


@policy.command("reenable")
def reenable(ctx: typer.Context, server: str, action: str) -> None:
    """Give a demoted action its automatic execution back on SERVER (admin)."""
    st = state(ctx)
    st.store().policy_admin.reenable(st.principal(), server, action)
    render.ok(f"{action} is automatic again on {server}")


@maintenance.command("add")
def add_window(
    ctx: typer.Context,
    server: Annotated[str, typer.Argument(help="A server, or '*' for the fleet.")],
    duration: Annotated[str, typer.Option("--for", help="e.g. 90m, 2h.")],
    reason: Annotated[str, typer.Option("--reason")] = "",
) -> None:
    """Leave SERVER alone from now on for a while (a silence)."""
    st = state(ctx)
    w = st.store().policy_admin.add_window(st.principal(), server, duration, reason)
    render.ok(f"maintenance #{w.id} on {w.server} until {render.when(w.ends_at)}")


@maintenance.command("list")
def list_windows(
    ctx: typer.Context,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """Current and coming maintenance windows."""
    st = state(ctx)
    windows = st.store().policy_admin.windows(st.principal())
    data = [
        [
            w.id,
            w.server,
            w.starts_at,
            w.ends_at,
            w.reason,
            w.created_by,
        ]
        for w in windows
    ]
    columns = ["id", "server", "starts", "ends", "reason", "by"]
    render.rows(columns, data, fmt, out=out)


@maintenance.command("rm")
def remove_window(ctx: typer.Context, window_id: int) -> None:
    """End a maintenance window now."""
    st = state(ctx)
    w = st.store().policy_admin.remove_window(st.principal(), window_id)
    render.ok(f"removed maintenance #{w.id} on {w.server}")


def _lines(lines: list[ExplainLine], fmt: render.Format) -> None:
    columns = [
        "recommendation",
        "server",
        "action",
        "params",
        "verdict",
        "gate",
        "detail",
        "request",
        "execution",
    ]
    data = [
        [
            ln.recommendation_id,
            ln.server,
            ln.action,
            dict(sorted(ln.params.items())),
            ln.verdict,
            ln.gate,
            ln.detail,
            f"#{ln.request_id} {ln.request_status}" if ln.request_id else "",
            ln.execution_id,
        ]
        for ln in lines
    ]
    render.rows(columns, data, fmt)


def _status(s: AutomationStatus) -> None:
    render.mapping(
        {
            "automation": f"paused by {s.paused_by}: {s.reason}"
            if s.paused
            else "running",
            "mode": f"{s.mode} ({s.mode_from})",
            "shadow servers": list(s.shadow_servers),
            "demoted": [f"{srv}/{act}" for srv, act, _ in s.demoted],
        }
    )


def _status_dict(s: AutomationStatus) -> dict[str, object]:
    return {
        "paused": s.paused,
        "paused_by": s.paused_by,
        "paused_at": s.paused_at,
        "reason": s.reason,
        "mode": s.mode,
        "mode_from": s.mode_from,
        "shadow_servers": list(s.shadow_servers),
        "demoted": [
            {"server": srv, "action": act, "reason": why} for srv, act, why in s.demoted
        ],
    }
