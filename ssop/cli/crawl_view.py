"""Showing crawl results: a progress bar while crawling, then one row per server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from ssop.cli import render
from ssop.core.crawl.report import CrawlReport, HostReport
from ssop.core.errors import TransportError

COLUMNS = (
    "server",
    "status",
    "cpu%",
    "mem%",
    "swap%",
    "disk%",
    "load 1/5/15",
    "failed",
    "secs",
)


@contextmanager
def progress_bar() -> Iterator[Callable[[int, int], None]]:
    """A transient bar on stderr when it is a terminal; yields the crawl's callback."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    if not console.is_terminal:  # scripts and pipes get no bar and no stray lines
        yield lambda done, total: None
        return
    bar = Progress(
        TextColumn("crawling"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("crawl", total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield advance


def _num(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None else f"{value:g}"


def _row(host: HostReport) -> list[Any]:
    v = dict(host.values or {})
    load = "/".join(_num(v, k) for k in ("load1", "load5", "load15")) if v else ""
    status = "ok" if host.ok else (host.cause or "failed")
    return [
        host.server,
        status,
        _num(v, "cpu_percent"),
        _num(v, "memory_percent"),
        _num(v, "swap_percent"),
        _num(v, "disk_max_percent"),
        load,
        _num(v, "failed_unit_count"),
        f"{host.duration_s:.2f}",
    ]


def _json_row(host: HostReport) -> list[Any]:
    return [
        host.server,
        host.ok,
        host.cause,
        host.message,
        host.at.isoformat(),
        round(host.duration_s, 3),
        dict(host.values or {}),
    ]


def show(report: CrawlReport, fmt: render.Format = render.Format.TABLE) -> None:
    if fmt is render.Format.JSON:
        columns = ("server", "ok", "cause", "message", "at", "seconds", "readings")
        render.rows(columns, [_json_row(h) for h in report.hosts], fmt)
        return
    render.rows(COLUMNS, [_row(h) for h in report.hosts], fmt)
    if fmt is render.Format.TABLE:
        _notes(report)


def _notes(report: CrawlReport) -> None:
    for host in report.hosts:
        if not host.ok:
            typer.echo(f"{host.server}: {host.cause}: {host.message}")
    if report.skipped:
        typer.echo("skipped (no get action assigned): " + ", ".join(report.skipped))
        typer.echo(
            f"  to watch one: ssop action assign {report.skipped[0]} get_system_load"
        )
    if report.pending:
        typer.echo(
            f"{report.pending} result(s) wait in memory: the store refused them "
            f"({report.store_error})"
        )
    typer.echo(report.summary())


def refuse_failures(report: CrawlReport) -> None:
    """Exit non-zero (transport error) when any server could not be crawled."""
    if report.failed:
        raise TransportError(
            f"{report.failed} of {len(report.hosts)} server(s) could not be crawled"
        )


def interrupted(report: CrawlReport) -> None:
    """Say on stderr that a Ctrl-C stopped the crawl, and what it left out."""
    left = ", ".join(report.not_crawled) or "none"
    typer.echo(f"ssop: interrupted; not crawled: {left}", err=True)


def details(host: HostReport) -> None:
    """Every reading of one server, one per line (quickstart's view)."""
    v = dict(host.values or {})
    if not v:
        typer.echo(f"{host.server}: {host.cause}: {host.message}")
        return
    units = v.get("failed_units") or []
    failed = (
        "systemd not available"
        if v.get("failed_unit_count") is None
        else (f"{len(units)} {', '.join(units)}".strip())
    )
    render.mapping(
        {
            "server": host.server,
            "cpu %": _num(v, "cpu_percent"),
            "memory %": _num(v, "memory_percent"),
            "swap %": _num(v, "swap_percent"),
            "load 1/5/15": "/".join(_num(v, k) for k in ("load1", "load5", "load15")),
            "cpus": _num(v, "cpu_count"),
            "uptime": _uptime(v.get("uptime_s")),
            "failed units": failed,
            **{f"disk {d['mount']}": f"{d['percent']:g} %" for d in v["disks"]},
            "top processes": ", ".join(_process(p) for p in v["top_processes"][:5]),
        }
    )


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    return f"{days}d {rest // 3600}h {rest % 3600 // 60}m"


def _process(p: dict[str, Any]) -> str:
    cpu = p.get("cpu_percent")
    share = f" {cpu:g}%" if cpu is not None else ""
    return f"{p['name']} ({p['pid']}){share}"
