"""``ssop report KIND``: the report service the CLI (and the TUI) call.

Every figure is aggregated in SQL over the whole window, in one read-only
transaction, so a report's tables agree with each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import InvalidInput, NotFound
from ssop.core.reports.actions import actions
from ssop.core.reports.ai import ai
from ssop.core.reports.errors import errors
from ssop.core.reports.overview import overview
from ssop.core.reports.servers import servers
from ssop.core.reports.tables import Report, ReportTable
from ssop.core.reports.window import Window, parse_window
from ssop.core.store.db import SessionFactory
from ssop.core.store.report_scope import Scope
from ssop.core.store.server_repo import ServerRepo

Builder = Callable[[Session, Scope, Window], tuple[ReportTable, ...]]
REPORTS: dict[str, Builder] = {
    "overview": overview,
    "actions": lambda s, scope, _: actions(s, scope),
    "servers": lambda s, scope, _: servers(s, scope),
    "ai": ai,
    "errors": lambda s, scope, _: errors(s, scope),
}


def report_kind(name: str) -> str:
    """``name`` if it is a report; raises InvalidInput naming the reports."""
    if name not in REPORTS:
        names = ", ".join(REPORTS)
        raise InvalidInput(f"unknown report {name!r} (choose from {names})")
    return name


class ReportService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings

    @refusals_audited("report", "{kind}")
    def build(
        self,
        who: Principal,
        kind: str,
        *,
        window: str | None = None,
        since: str | None = None,
        until: str | None = None,
        servers: Sequence[str] = (),
        tag: str | None = None,
    ) -> Report:
        """The ``kind`` report over the window, for the servers named or tagged.

        Raises:
            InvalidInput: an unknown report, a malformed window or date,
                --since not before --until, --server with --tag.
            NotFound: an unknown server, or no server carries the tag.
            PermissionDenied: the caller lacks reports.read.
        """
        build = REPORTS[report_kind(kind)]
        now = self.clock.now()
        span = parse_window(now, window, since, until)
        if servers and tag:
            raise InvalidInput("use --server or --tag, not both")
        with self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.REPORTS_READ)
            names = _scope_servers(ServerRepo(s), servers, tag)
            tables = build(s, Scope(span.since, span.until, names), span)
        notes = self._notes(now, span)
        return Report(
            kind,
            span,
            servers=names,
            tag=tag,
            generated_at=now,
            tables=tables,
            notes=notes,
        )

    def _notes(self, now: datetime, span: Window) -> tuple[str, ...]:
        days = self.settings.retention.days
        kept_from = now - timedelta(days=days)
        if span.since >= kept_from:
            return ()
        return (
            f"the window starts before the retention ({days} days, from "
            f"{kept_from:%Y-%m-%d %H:%M} UTC): readings, crawl errors and "
            "policy decisions older than that were pruned",
        )


def _scope_servers(
    repo: ServerRepo, names: Sequence[str], tag: str | None
) -> tuple[str, ...] | None:
    if names:
        for name in names:
            repo.get(name)  # NotFound for an unknown one
        return tuple(sorted(set(names)))
    if tag:
        tagged = tuple(x.name for x in repo.list(tag))
        if not tagged:
            raise NotFound(f"no server has tag {tag!r}", hint="see: ssop server list")
        return tagged
    return None
