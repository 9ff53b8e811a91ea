"""The errors report: failed executions and crawl failures grouped by cause,
action and server, most frequent first."""

from __future__ import annotations

from sqlmodel import Session

from ssop.core.reports.tables import ReportTable, Value, n, table
from ssop.core.store.error_report_repo import ErrorReportRepo
from ssop.core.store.report_scope import Scope

COLUMNS = ("kind", "cause", "action", "server", "count", "first_at", "last_at")


def errors(s: Session, scope: Scope) -> tuple[ReportTable, ...]:
    repo = ErrorReportRepo(s)
    rows: list[tuple[Value, ...]] = [
        ("execution", str(status), str(action), str(server), n(c), first, last)
        for status, action, server, c, first, last in repo.executions(scope)
    ]
    rows += [
        ("crawl", str(cause), "", str(server), n(c), first, last)
        for cause, server, c, first, last in repo.crawls(scope)
    ]
    rows.sort(key=_order)
    return (table("errors", COLUMNS, rows),)


def _order(row: tuple[Value, ...]) -> tuple[int, str, str, str, str]:
    count = row[4]
    assert isinstance(count, int)
    return (-count, str(row[0]), str(row[1]), str(row[2]), str(row[3]))
