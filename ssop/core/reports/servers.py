"""The servers report: per server, its crawls, readings, executions,
analyses and pending approvals, each from its own grouped query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from ssop.core.reports.tables import ReportTable, Value, mean, n, rate, table
from ssop.core.store.report_scope import Scope
from ssop.core.store.server_report_repo import ServerReportRepo

COLUMNS = (
    "server",
    "last_seen",
    "crawls",
    "crawl_failures",
    "crawl_success_rate",
    "cpu_mean",
    "cpu_max",
    "memory_mean",
    "memory_max",
    "disk_mean",
    "disk_max",
    "load_mean",
    "executions",
    "analyses_low",
    "analyses_medium",
    "analyses_high",
    "open_approvals",
)
NO_SAMPLES: tuple[Any, ...] = (0, None, None, None, None, None, None, None, None)


def servers(s: Session, scope: Scope) -> tuple[ReportTable, ...]:
    repo = ServerReportRepo(s)
    samples = _by_server(repo.samples(scope))
    errors = _by_server(repo.crawl_errors(scope))
    runs = _by_server(repo.executions(scope))
    risks = _by_server(repo.analyses(scope))
    pending = _by_server(repo.open_approvals(scope))
    rows = []
    for name in repo.names(scope):
        readings, last, *values = samples.get(name, NO_SAMPLES)
        failed, _ = errors.get(name, (0, None))
        crawls = n(readings) + n(failed)
        row: list[Value] = [name, last, crawls, n(failed)]
        row.append(rate(n(readings), crawls))
        row += [mean(v) for v in values]
        row.append(n(runs.get(name, (0,))[0]))
        row += [n(v) for v in risks.get(name, (0, 0, 0))]
        row.append(n(pending.get(name, (0,))[0]))
        rows.append(row)
    return (table("servers", COLUMNS, rows),)


def _by_server(rows: Sequence[Any]) -> dict[str, tuple[Any, ...]]:
    return {str(r[0]): tuple(r[1:]) for r in rows}
