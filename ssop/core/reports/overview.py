"""The overview report: the fleet's activity over the window in one summary
and two time series (executions, analyses by risk)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ssop.core.reports.tables import ReportTable, Value, n, rate, series, table
from ssop.core.reports.window import Window
from ssop.core.store.overview_repo import OverviewRepo
from ssop.core.store.report_scope import Scope, bucket_name

EXECUTIONS = ("bucket", "runs", "succeeded", "failed", "timed_out")
ANALYSES = ("bucket", "analyses", "low", "medium", "high")


def overview(s: Session, scope: Scope, window: Window) -> tuple[ReportTable, ...]:
    repo = OverviewRepo(s)
    runs = _filled(repo.executions_by_bucket(scope, window.bucket), window, 7)
    risks = _filled(repo.analyses_by_bucket(scope, window.bucket), window, 4)
    ok, failed = repo.crawls(scope)
    x = [sum(n(r[i]) for r in runs.values()) for i in range(7)]
    a = [sum(n(r[i]) for r in risks.values()) for i in range(4)]
    pending, approved, rejected, expired = (n(v) for v in repo.approvals(scope))
    checked, cleared = (n(v) for v in repo.verifications(scope))
    summary: list[tuple[str, Value]] = [
        ("servers_watched", repo.servers_watched(scope)),
        ("crawls", ok + failed),
        ("crawl_failures", failed),
        ("executions", x[0]),
        ("executions_succeeded", x[1]),
        ("executions_failed", x[2]),
        ("executions_timed_out", x[3]),
        ("executions_manual", x[4]),
        ("executions_automatic", x[5]),
        ("executions_approved", x[6]),
        ("success_rate", rate(x[1], x[1] + x[2] + x[3])),
        ("analyses", a[0]),
        ("analyses_low", a[1]),
        ("analyses_medium", a[2]),
        ("analyses_high", a[3]),
        ("approvals_pending", pending),
        ("approvals_approved", approved),
        ("approvals_rejected", rejected),
        ("approvals_expired", expired),
        ("verifications", checked),
        ("verification_rate", rate(cleared, checked)),
    ]
    return (
        table("summary", ("metric", "value"), summary),
        series("executions", EXECUTIONS, [(b, *r[:4]) for b, r in runs.items()]),
        series("analyses", ANALYSES, [(b, *r) for b, r in risks.items()]),
    )


def _filled(rows: Any, window: Window, width: int) -> dict[str, list[int]]:
    """Counts per bucket label, every bucket of the window present (a
    bucket's rows added up)."""
    out = {b: [0] * width for b in window.buckets()}
    for row in rows:
        name, keys = bucket_name(row, window.bucket)
        had = out.get(name, [0] * width)
        out[name] = [have + n(v) for have, v in zip(had, row[keys:], strict=True)]
    return out
