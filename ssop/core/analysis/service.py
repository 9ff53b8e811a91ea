"""AnalysisService: run analyses (on demand or for the daemon) and read them back.

Permissions: reading analyses and errors needs ``reports.read``; ``analyze
--dry-run`` needs ``reports.read`` too (it stores nothing), unless it
forces the model, which spends tokens and needs ``actions.run`` like every
analysis that is stored.

For the daemon, ``analyse_pending`` claims crawl notices from the work
queue, analyses each server once per batch, stores the result and only
then acknowledges, so a crash re-delivers rather than loses work.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ssop.core.accounts.auth import AuthService
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.actions.guards.rails import GuardsFor
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import Analyser
from ssop.core.analysis.pipeline import SOURCE, Pipeline
from ssop.core.analysis.views import (
    AnalysisOutcome,
    AnalysisView,
    ErrorView,
    analysis_view,
)
from ssop.core.audit import AuditService, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import (
    AnalysisError,
    InvalidInput,
    NotFound,
    QueueUnavailable,
    SsopError,
    StoreError,
)
from ssop.core.models import ErrorEvent, RecommendationRecord
from ssop.core.queue.base import Delivery, QueueBackend
from ssop.core.store.analysis_repo import AnalysisRepo, ErrorEventRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo
from ssop.core.work import ShouldStop, StepReport

log = logging.getLogger(__name__)

MAX_LIMIT = 1000
CLAIM_BATCH = 100
MAX_BATCHES = 20  # per daemon step, so one step cannot run forever


@dataclass
class PendingReport(StepReport):
    """What one analysis step of the daemon did (read by the daemon's steps)."""

    analysed: int = 0
    reused: int = 0
    failed: int = 0
    notices: int = 0
    degraded: bool = False

    def summary(self) -> str:
        return (
            f"{self.analysed} analysed, {self.reused} reused, {self.failed} failed"
            f" ({self.notices} notices)"
        )


def default_consumer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _risks_from(risk: str | None) -> list[str]:
    """``--risk medium`` means medium or worse."""
    if risk is None:
        return []
    try:
        floor = RiskLevel(risk)
    except ValueError:
        raise InvalidInput(
            f"unknown risk {risk!r} (choose low, medium, high)"
        ) from None
    return [r.value for r in RiskLevel if r >= floor]


class AnalysisService:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        auth: AuthService,
        audit: AuditService,
        settings: Settings,
        queue: Callable[[], QueueBackend],
        make_llm: Callable[[], Analyser] | None = None,
        guards_for: GuardsFor | None = None,
        once_per_interval: Callable[[str], bool] | None = None,
    ) -> None:
        # With several daemons: whether this one analyses the server in this
        # analysis interval (a claim in Redis); without, always.
        self.once_per_interval = once_per_interval
        self.sessions = sessions
        self.clock = clock
        self.auth = auth
        self.audit = audit
        self.queue = queue
        self.pipeline = Pipeline(
            sessions,
            clock,
            settings,
            make_llm or _llm_factory(settings, clock),
            guards_for,
        )

    @refusals_audited("analysis.run", "{servers}")
    def analyse(
        self,
        who: Principal,
        servers: Sequence[str] = (),
        *,
        dry_run: bool = False,
        force_llm: bool = False,
    ) -> list[AnalysisOutcome]:
        """Analyse the named servers (all enabled ones when none) now.

        Raises:
            PermissionDenied: see the module docstring for the capability.
            NotFound: a named server does not exist (nothing is analysed).
            ConfigError: ``force_llm`` without a configured model.
        """
        needs = Capability.REPORTS_READ
        if force_llm or not dry_run:
            needs = Capability.ACTIONS_RUN
        actor = self.auth.require(who, needs).actor
        names = self._servers(servers)
        outcomes = [
            self.pipeline.run(n, actor, dry_run=dry_run, force_llm=force_llm)
            for n in names
        ]
        if not dry_run:
            detail = f"servers={len(names)} force_llm={force_llm}"
            self.audit.record(actor, "analysis.run", ",".join(names)[:255], detail)
        return outcomes

    def _servers(self, names: Sequence[str]) -> list[str]:
        with self.sessions() as s:
            repo = ServerRepo(s)
            if not names:
                return [x.name for x in repo.list() if x.enabled]
            unique = list(dict.fromkeys(names))
            for name in unique:
                repo.get(name)
            return unique

    def analyse_pending(
        self,
        should_stop: ShouldStop,
        *,
        consumer: str | None = None,
        batch: int = CLAIM_BATCH,
    ) -> PendingReport:
        """Analyse every server with new crawl notices; ack each after storing.

        A notice whose analysis could not be stored (database down) is left
        unacknowledged, so the queue hands it out again later.
        """
        report = PendingReport()
        name = consumer or default_consumer()
        backend = self.queue()
        for _ in range(MAX_BATCHES):
            if should_stop():
                break
            try:
                deliveries = backend.work_queue.claim(name, batch)
            except QueueUnavailable as e:
                log.warning("analysis: queue unavailable (%s)", e.message)
                report.degraded = True
                break
            if not deliveries:
                break
            report.notices += len(deliveries)
            if not self._batch(deliveries, f"daemon:{name}", should_stop, report):
                break
        report.degraded = report.degraded or backend.degraded
        return report

    def _batch(
        self,
        deliveries: list[Delivery],
        actor: str,
        should_stop: ShouldStop,
        report: PendingReport,
    ) -> bool:
        """Analyse each server of the batch once; False when the step should end."""
        by_server: dict[str, list[Delivery]] = {}
        for d in deliveries:
            by_server.setdefault(d.notice.server, []).append(d)
        queue = self.queue().work_queue
        for server, held in by_server.items():
            if should_stop():
                return False
            try:
                if self.once_per_interval is None or self.once_per_interval(server):
                    self._one_pending(server, actor, report)
                else:
                    report.reused += 1  # another daemon analysed it this interval
            except StoreError as e:
                log.error(
                    "analysis of %s not stored, will retry: %s", server, e.message
                )
                report.failed += 1
                return False
            for d in held:
                queue.ack(d)
        return True

    def _one_pending(self, server: str, actor: str, report: PendingReport) -> None:
        try:
            outcome = self.pipeline.run(server, actor, dry_run=False, force_llm=False)
        except NotFound:
            log.info("analysis: server %s is gone; notice dropped", server)
            return
        except StoreError:
            raise
        except SsopError as e:
            report.failed += 1
            self._record_failure(server, e)
            return
        if outcome.reused:
            report.reused += 1
        else:
            report.analysed += 1

    def _record_failure(self, server: str, error: SsopError) -> None:
        kind = error.kind if isinstance(error, AnalysisError) else "analysis_failed"
        log.error("analysis of %s failed: %s", server, error.message)
        with self.sessions() as s, s.begin():
            ErrorEventRepo(s).add(
                ErrorEvent(
                    at=self.clock.now(),
                    source=SOURCE,
                    server_name=server,
                    kind=kind,
                    message=error.message[:2000],
                )
            )

    @refusals_audited("analysis.show", "analysis#{analysis_id}")
    def show(
        self, who: Principal, analysis_id: int, *, with_prompt: bool = False
    ) -> AnalysisView:
        """One analysis with its recommendations (and the redacted prompt).

        Raises:
            PermissionDenied: the caller lacks reports.read.
            NotFound: no such analysis.
        """
        self.auth.require(who, Capability.REPORTS_READ)
        with self.sessions() as s:
            repo = AnalysisRepo(s)
            row = repo.get(analysis_id)
            return analysis_view(row, repo.recommendations([analysis_id]), with_prompt)

    @refusals_audited("analysis.errors", "{server}")
    def errors(
        self, who: Principal, *, server: str | None = None, limit: int = 50
    ) -> list[ErrorView]:
        """Recorded analysis failures, newest first (needs reports.read)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"--limit must be between 1 and {MAX_LIMIT}")
        self.auth.require(who, Capability.REPORTS_READ)
        with self.sessions() as s:
            rows = ErrorEventRepo(s).recent(SOURCE, server, None, limit)
            return [
                ErrorView(r.at, r.source, r.server_name, r.kind, r.message)
                for r in rows
            ]

    @refusals_audited("analysis.list", "{server}")
    def list(
        self,
        who: Principal,
        *,
        server: str | None = None,
        risk: str | None = None,
        limit: int = 50,
    ) -> list[AnalysisView]:
        """Newest first; ``risk`` keeps that risk or worse.

        Raises:
            PermissionDenied: the caller lacks reports.read.
            InvalidInput: unknown risk, or ``limit`` not in 1..1000.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"--limit must be between 1 and {MAX_LIMIT}")
        risks = _risks_from(risk)
        self.auth.require(who, Capability.REPORTS_READ)
        with self.sessions() as s:
            repo = AnalysisRepo(s)
            rows = repo.search(server, risks, limit)
            recs: dict[int, list[RecommendationRecord]] = {}
            for rec in repo.recommendations([r.id or 0 for r in rows]):
                recs.setdefault(rec.analysis_id, []).append(rec)
            return [analysis_view(r, recs.get(r.id or 0, [])) for r in rows]


def _llm_factory(settings: Settings, clock: Clock) -> Callable[[], Analyser]:
    def make() -> Analyser:
        from ssop.core.analysis.llm import LlmAnalyst

        return LlmAnalyst(settings.openai, settings.analysis, clock)

    return make
