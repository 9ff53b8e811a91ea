"""The actions report: per action, its runs, outcomes, durations, triggers
and whether its verifications found the condition cleared."""

from __future__ import annotations

from sqlmodel import Session

from ssop.core.reports.tables import ReportTable, mean, n, rate, table
from ssop.core.store.action_report_repo import ActionReportRepo
from ssop.core.store.report_scope import Scope

COLUMNS = (
    "action",
    "runs",
    "succeeded",
    "failed",
    "timed_out",
    "success_rate",
    "mean_duration_s",
    "p95_duration_s",
    "automatic",
    "manual",
    "approved",
    "verifications",
    "verification_rate",
)


def actions(s: Session, scope: Scope) -> tuple[ReportTable, ...]:
    repo = ActionReportRepo(s)
    checks = {str(a): (n(c), n(ok)) for a, c, ok in repo.verified(scope)}
    per_action = sorted(repo.per_action(scope))
    p95 = repo.p95(scope, {str(r[0]): n(r[9]) for r in per_action})
    rows = []
    for row in per_action:
        action, runs, ok, failed, timed_out, auto, manual, approved = (
            str(row[0]),
            *(n(v) for v in row[1:8]),
        )
        checked, cleared = checks.get(action, (0, 0))
        rows.append(
            (
                action,
                runs,
                ok,
                failed,
                timed_out,
                rate(ok, ok + failed + timed_out),
                mean(row[8], 3),
                mean(p95.get(action), 3),
                auto,
                manual,
                approved,
                checked,
                rate(cleared, checked),
            )
        )
    return (table("actions", COLUMNS, rows),)
