"""``ssop status``: the fleet at a glance from stored readings, no SSH."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ssop.cli.render import Format, FormatOption, dumps, emit, rows
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

if TYPE_CHECKING:
    from ssop.core.reports.status import FleetStatus, StatusRow

app = CommandApp()

COLUMNS = (
    "server",
    "state",
    "cpu_percent",
    "memory_percent",
    "disk_max_percent",
    "load1",
    "failed_units",
    "last_risk",
    "open_approvals",
    "last_crawl_at",
    "last_crawl_age_s",
    "reasons",
)
TABLE_COLUMNS: tuple[str, ...] = ("server", "state", "cpu%", "mem%", "disk%")
TABLE_COLUMNS += ("load1", "failed", "risk", "approvals", "last crawl", "why")
CLEAR = "\x1b[H\x1b[2J"


@app.command("status")
def status(
    ctx: typer.Context,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only servers with this tag.")
    ] = None,
    states: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="Only servers in this state (repeatable): ok, warning, "
            "critical, unreachable, stale.",
        ),
    ] = None,
    fmt: FormatOption = Format.TABLE,
    watch: Annotated[
        bool, typer.Option("--watch", help="Redraw in place until Ctrl-C.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", min=1.0, help="Seconds between redraws (--watch)."),
    ] = 5.0,
) -> int:
    """The fleet at a glance from stored readings, no SSH.

    Exit 0 when every server is ok, 5 when any is unreachable, 1 when any
    is warning, critical or stale (no reading for two crawl intervals)."""
    from ssop.core.reports.status import parse_states

    st = state(ctx)
    wanted = parse_states(states or [])
    services = st.store()
    who = st.principal()
    while True:
        report = services.status.fleet(who, tag, wanted)
        if watch:
            typer.echo(CLEAR, nl=False)  # stripped when not on a terminal
        _show(report, fmt)
        if not watch:
            return int(report.exit_code)
        time.sleep(interval)


def _show(report: FleetStatus, fmt: Format) -> None:
    if fmt is Format.JSON:
        doc = {
            "generated_at": report.generated_at,
            "counts": report.counts(),
            "servers": [_record(r) for r in report.rows],
        }
        emit(dumps(doc) + "\n")
    elif fmt is Format.CSV:
        rows(COLUMNS, [list(_record(r).values()) for r in report.rows], fmt)
    else:
        title = "  ".join(f"{k} {v}" for k, v in report.counts().items() if v)
        rows(TABLE_COLUMNS, [_cells(r) for r in report.rows], fmt, title or None)


def _record(r: StatusRow) -> dict[str, Any]:
    return {
        "server": r.server,
        "state": r.state.value,
        "cpu_percent": r.cpu_percent,
        "memory_percent": r.memory_percent,
        "disk_max_percent": r.disk_max_percent,
        "load1": r.load1,
        "failed_units": r.failed_units,
        "last_risk": r.last_risk,
        "open_approvals": r.open_approvals,
        "last_crawl_at": r.last_crawl_at,
        "last_crawl_age_s": _round(r.last_crawl_age_s),
        "reasons": "; ".join(r.reasons),
    }


def _cells(r: StatusRow) -> list[Any]:
    age = "" if r.last_crawl_age_s is None else f"{_round(r.last_crawl_age_s):g}s ago"
    return [
        r.server,
        r.state.value,
        _num(r.cpu_percent),
        _num(r.memory_percent),
        _num(r.disk_max_percent),
        _num(r.load1),
        r.failed_units,
        r.last_risk,
        r.open_approvals,
        age,
        "; ".join(r.reasons),
    ]


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
