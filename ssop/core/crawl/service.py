"""Crawl the fleet: visit servers in parallel, store what they said, tell others.

``CrawlService.crawl`` serves a person (``ssop crawl``, needs actions.run);
``crawl_fleet`` serves the daemon. Both visit each server over its kept-open
transport with at most ``daemon.concurrency`` visits at once, so a hung or
dead server costs its own timeouts and nobody else's. Results are stored in
bulk through a bounded in-memory buffer that rides out a database outage;
the service keeps each server's last readings for the next CPU % delta.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.accounts.auth import AuthService
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.actions.guards.checks import DEFAULT_PROTECTED_UNITS, GuardConfig
from ssop.core.actions.readings import Baseline
from ssop.core.audit import refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.crawl.buffer import (
    FLUSH_CHUNK,
    CrawlBuffer,
    HostRecord,
    Stored,
    Writer,
)
from ssop.core.crawl.host_visit import (
    CrawlTarget,
    HostCrawl,
    HostOutcome,
    HostSettings,
    failed_outcome,
)
from ssop.core.crawl.publish import CrawlPublisher
from ssop.core.crawl.report import CrawlInterrupted, CrawlReport, HostReport
from ssop.core.crawl.targets import load_targets
from ssop.core.errors import SsopError, StoreError
from ssop.core.queue.base import QueueBackend
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.fleet_repo import FleetRepo
from ssop.core.store.metric_repo import MetricRepo
from ssop.core.store.retry import retrying_transaction
from ssop.core.transport.pool import TransportPool
from ssop.core.work import ShouldStop, never_stop

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]
Pick = Callable[[list[CrawlTarget]], list[CrawlTarget]]
"""Chooses which of the fleet's targets this crawl visits (a daemon's share)."""
Fence = Callable[[str, datetime], bool]
"""Whether a visit of this server at this time may run and be stored (a lease)."""
# Results are written at least this often while a crawl still waits on slow hosts.
FLUSH_EVERY_S = 2.0


class CrawlService:
    def __init__(
        self,
        *,
        engine: Engine,
        sessions: SessionFactory,
        clock: Clock,
        auth: AuthService,
        pool: TransportPool,
        queue: QueueBackend,
        settings: Settings,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.auth = auth
        self.pool = pool
        self.publisher = CrawlPublisher(queue)
        self.concurrency = settings.daemon.concurrency
        self.buffer = CrawlBuffer(settings.daemon.memory_buffer)
        # Where results go; tests put a store that fails on demand in front.
        self.writer: Writer = self.write
        self.host_settings = HostSettings(
            command_timeout=settings.ssh.command_timeout,
            use_sudo=settings.ssh.use_sudo,
            guards=GuardConfig.from_strings(
                never_block=settings.guards.never_block,
                # as GuardRails does: configured units add to the defaults
                protected_units=(
                    *DEFAULT_PROTECTED_UNITS,
                    *settings.guards.protected_units,
                ),
            ),
        )
        self._previous: dict[str, Baseline] = {}
        self._fleet: list[CrawlTarget] | None = None
        self._lock = threading.Lock()  # guards _previous across visit threads
        self._crawling = threading.Lock()  # one crawl at a time: one buffer

    @refusals_audited("crawl", "{names}")
    def crawl(
        self,
        who: Principal,
        names: Sequence[str] = (),
        tag: str | None = None,
        progress: ProgressFn | None = None,
    ) -> CrawlReport:
        """Crawl the named servers (all enabled ones when none are named) now.

        A crawl runs every assigned get action over SSH, custom ones
        included, so it needs actions.run, as ``ssop run`` of one does.

        A Ctrl-C (KeyboardInterrupt) meanwhile starts no further server and
        hangs up on those being visited, whose commands then end on their
        hosts; what finished is stored, and the crawl raises.

        Raises:
            CrawlInterrupted: Ctrl-C; it carries the report of what finished.
            PermissionDenied: the caller lacks actions.run.
            NotFound: a named server does not exist.
            StoreUnreachable, StoreError: the servers could not be read.
        """
        self.auth.require(who, Capability.ACTIONS_RUN)
        with translate_errors(self.engine), self.sessions() as s:
            targets, skipped = load_targets(s, names, tag)
        return self._run(targets, skipped, progress, never_stop)

    def crawl_fleet(
        self,
        should_stop: ShouldStop = never_stop,
        *,
        pick: Pick | None = None,
        fence: Fence | None = None,
    ) -> CrawlReport:
        """One crawl of every enabled server, for the daemon (no caller to check).

        ``pick`` narrows the fleet to this daemon's share; ``fence`` is asked
        before each visit and again of each result's time: a visit or a
        result it refuses (the lease ran out) is dropped, not stored.

        When the store cannot be read, the last fleet it gave is crawled and
        results wait in memory (up to daemon.memory_buffer) until it is back.
        ``should_stop`` is polled: once true, no further server is started.

        Raises:
            StoreUnreachable, StoreError: the store is down and no fleet is
                known yet (the first crawl of this process).
        """
        targets, skipped = self._fleet_targets()
        if pick is not None:
            targets = pick(targets)
        report = self._run(targets, skipped, None, should_stop, fence)
        log.info("crawl: %s", report.summary())
        return report

    def _fleet_targets(self) -> tuple[list[CrawlTarget], tuple[str, ...]]:
        try:
            with translate_errors(self.engine), self.sessions() as s:
                targets, skipped = load_targets(s)
                known = FleetRepo(s).names()
        except StoreError as e:
            if self._fleet is None:
                raise
            log.warning(
                "crawl: store unavailable, crawling the last known fleet: %s", e.message
            )
            return self._fleet, ()
        self._forget_others(known)
        self._fleet = targets
        return targets, skipped

    def _forget_others(self, names: set[str]) -> None:
        """Drop the counters and connections of servers no longer in the store.

        Disabled servers keep theirs: an action may still run there.
        """
        with self._lock:
            for gone in set(self._previous) - names:
                del self._previous[gone]
        self.pool.retain(names)

    def _run(
        self,
        targets: list[CrawlTarget],
        skipped: tuple[str, ...],
        progress: ProgressFn | None,
        should_stop: ShouldStop,
        fence: Fence | None = None,
    ) -> CrawlReport:
        with self._crawling:
            run = _CrawlRun(self, len(targets), progress, fence)
            started_at, started = self.clock.now(), self.clock.monotonic()
            if targets:
                self._visit_all(run, targets, should_stop)
            run.flush(final=True)
            duration = max(0.0, self.clock.monotonic() - started)
            report = run.report(started_at, duration, skipped)
        if report.interrupted:
            raise CrawlInterrupted(report)
        return report

    def _visit_all(
        self, run: _CrawlRun, targets: list[CrawlTarget], should_stop: ShouldStop
    ) -> None:
        workers = min(self.concurrency, len(targets))
        with ThreadPoolExecutor(workers, thread_name_prefix="crawl") as pool:
            futures = {
                pool.submit(self._visit, t, run.halted, run.fence): t for t in targets
            }
            try:
                run.collect(set(futures), should_stop)
            except KeyboardInterrupt:
                self._interrupt(run, futures)

    def _interrupt(
        self, run: _CrawlRun, futures: dict[Future[HostOutcome | None], CrawlTarget]
    ) -> None:
        """Ctrl-C: keep what finished, start nothing more, and hang up on the
        servers still being visited (the EOF ends their commands on the host);
        their visits end at once and are left out."""
        run.interrupted.set()
        for future, target in futures.items():
            if future in run.taken or future.cancel():
                continue
            if future.done():
                run.take_future(future)  # finished before the Ctrl-C
            else:
                self.pool.discard(target.name)
        run.not_crawled = tuple(
            sorted(t.name for f, t in futures.items() if f not in run.taken)
        )
        log.warning(
            "crawl: interrupted; %d server(s) not crawled", len(run.not_crawled)
        )

    def _visit(
        self,
        target: CrawlTarget,
        halted: ShouldStop = never_stop,
        fence: Fence | None = None,
    ) -> HostOutcome | None:
        if fence is not None and not fence(target.name, self.clock.now()):
            return None  # resumed past the lease: the server is someone else's now
        try:
            transport = self.pool.get(target.server)
            crawl = HostCrawl(
                target,
                transport,
                previous=self._previous_of(target.name),
                clock=self.clock,
                settings=self.host_settings,
                stopping=halted,
            )
            outcome = crawl.run()
        except SsopError as e:
            return failed_outcome(target, self.clock.now(), e)
        except Exception as e:
            # A bug met on one server must not end the crawl of the others.
            log.exception("server %s: crawl failed unexpectedly", target.name)
            return failed_outcome(target, self.clock.now(), e)
        if outcome.readings is not None and not halted():
            baseline = outcome.readings.baseline()
            with self._lock:
                self._previous[target.name] = baseline
        return outcome

    def _previous_of(self, name: str) -> Baseline | None:
        with self._lock:
            return self._previous.get(name)

    def write(self, records: Sequence[HostRecord]) -> list[int | None]:
        """Store ``records`` in one transaction; each one's sample id or None.

        Raises:
            StoreUnreachable, StoreError: nothing was stored.
        """
        with_sample = [r for r in records if r.values is not None]

        def insert(s: Session) -> list[int]:
            repo = MetricRepo(s)
            ids = repo.add_samples([_sample_row(r) for r in with_sample])
            repo.add_outputs([_output_row(r, o) for r in records for o in r.outputs])
            repo.add_errors([_error_row(r) for r in records if r.cause is not None])
            return ids

        with translate_errors(self.engine):
            # Other daemons (and this one's analysis) write beside the crawl.
            ids = retrying_transaction(
                self.sessions, insert, clock=self.clock, what="crawl write"
            )
        by_record = {id(r): i for r, i in zip(with_sample, ids, strict=True)}
        return [by_record.get(id(r)) for r in records]


class _CrawlRun:
    """The bookkeeping of one crawl: results as they come, flushes, the report."""

    def __init__(
        self,
        service: CrawlService,
        total: int,
        progress: ProgressFn | None,
        fence: Fence | None = None,
    ) -> None:
        self.service = service
        self.fence = fence
        self.fenced = 0
        self.total = total
        self.progress = progress
        self.hosts: list[HostReport] = []
        self.stored = 0
        self.store_error: StoreError | None = None
        self.stopped = False
        self.interrupted = threading.Event()
        self.taken: set[Future[HostOutcome | None]] = set()
        self.not_crawled: tuple[str, ...] = ()
        self.last_flush = service.clock.monotonic()
        if progress is not None:
            progress(0, total)

    def collect(
        self, pending: set[Future[HostOutcome | None]], should_stop: ShouldStop
    ) -> None:
        """Take outcomes as visits finish; a finished future is let go at
        once, so a crawl holds only the visits still running."""
        while pending:
            done, pending = wait(
                pending, timeout=FLUSH_EVERY_S, return_when=FIRST_COMPLETED
            )
            for future in done:
                if not future.cancelled():
                    self.take_future(future)
            if not self.stopped and should_stop():
                self.stopped = True
                for future in pending:
                    future.cancel()
            if self._flush_due():
                self.flush()

    def halted(self) -> bool:
        """Whether a Ctrl-C stopped the crawl (visits ask between commands)."""
        return self.interrupted.is_set()

    def take_future(self, future: Future[HostOutcome | None]) -> None:
        self.taken.add(future)
        self.take(future.result())

    def take(self, outcome: HostOutcome | None) -> None:
        if outcome is None or (
            self.fence is not None
            and not self.fence(outcome.record.server, outcome.record.at)
        ):
            self.fenced += 1
            return
        self.service.buffer.add([outcome.record])
        self.hosts.append(HostReport.of(outcome.record))
        if self.progress is not None:
            self.progress(len(self.hosts), self.total)

    def _flush_due(self) -> bool:
        if self.store_error is not None:
            return False  # tried once this crawl; the final flush tries again
        waited = self.service.clock.monotonic() - self.last_flush
        return len(self.service.buffer) >= FLUSH_CHUNK or waited >= FLUSH_EVERY_S

    def flush(self, *, final: bool = False) -> None:
        if self.store_error is not None and not final:
            return
        self.last_flush = self.service.clock.monotonic()
        result = self.service.buffer.flush(self.service.writer)
        self.stored += len(result.stored)
        self._published(result.stored)
        if result.error is not None:
            self.store_error = result.error
            log.warning(
                "crawl: store unavailable, %d result(s) held in memory: %s",
                result.pending,
                result.error.message,
            )

    def _published(self, stored: tuple[Stored, ...]) -> None:
        if stored:
            self.service.publisher.publish(stored)

    def report(
        self, started_at: Any, duration: float, skipped: tuple[str, ...]
    ) -> CrawlReport:
        buffer = self.service.buffer
        error = self.store_error.message if self.store_error and len(buffer) else None
        return CrawlReport(
            started_at=started_at,
            duration_s=duration,
            hosts=tuple(sorted(self.hosts, key=lambda h: h.server)),
            stored=self.stored,
            pending=len(buffer),
            dropped=buffer.dropped,
            store_error=error,
            skipped=skipped,
            stopped=self.stopped,
            interrupted=self.halted(),
            not_crawled=self.not_crawled,
            fenced=self.fenced,
        )


def _sample_row(record: HostRecord) -> dict[str, Any]:
    return {
        "server_name": record.server,
        "at": record.at,
        "crawl_duration_s": record.duration_s,
        **(record.values or {}),
    }


def _output_row(record: HostRecord, output: Any) -> dict[str, Any]:
    return {"server_name": record.server, "at": record.at, **output}


def _error_row(record: HostRecord) -> dict[str, Any]:
    assert record.cause is not None
    return {
        "server_name": record.server,
        "at": record.at,
        "cause": record.cause.value,
        "message": record.message,
        "duration_s": record.duration_s,
    }
