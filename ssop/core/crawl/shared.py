"""Several daemons share the fleet's crawl: each server once per interval.

Every few seconds (a tick) the daemon asks ``SharedCrawl.tick``:

1. At the first tick of an interval it crawls its own share (rendezvous
   hashing with bounded loads over the live members), claiming each server
   with ``SET NX PX`` on ``ssop:crawl:<interval>:<server>`` as the visit
   starts; a server another daemon claimed first is skipped.
2. Later in the interval it takes over what nobody claimed and the store
   has no visit of (a member that died, or is paused, or is too slow to
   reach it): first the servers for which it is next in rendezvous order,
   then any left, so a dead daemon's share is crawled in the same interval
   by the others.

A claim is a lease on one server for one interval. Before each visit, and
again on each result's time, the crawl checks that the interval is still
the claimed one: a daemon resumed after a pause (SIGSTOP) past its interval
drops the rest instead of crawling servers that are someone else's now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from ssop.core.clock import Clock
from ssop.core.crawl.host_visit import CrawlTarget
from ssop.core.crawl.rendezvous import (
    assign,
    interval_of,
    interval_start,
    line,
    phase,
)
from ssop.core.crawl.report import CrawlReport
from ssop.core.crawl.service import Fence, Pick
from ssop.core.errors import QueueUnavailable, StoreError
from ssop.core.queue.claims import Claims
from ssop.core.store.crawl_log_repo import CrawlLogRepo
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.work import ShouldStop, never_stop

log = logging.getLogger(__name__)

KIND = "crawl"
# Phase of the interval at which each takeover stage starts: stage 1 takes
# the servers for which this daemon is second in line, stage 2 any left.
TAKEOVER_AT = (0.35, 0.6)
REBUILT_BY = "store"


@dataclass
class ShareStats:
    """What this daemon crawled, for its heartbeat and ``ssop daemon list``."""

    interval: int = -1
    crawled: int = 0
    taken_over: int = 0
    fenced: int = 0
    last_crawl_at: datetime | None = None
    last_interval_crawled: int = 0
    members: list[str] = field(default_factory=list)

    def roll(self, interval: int) -> None:
        if interval != self.interval:
            self.last_interval_crawled = self.crawled
            self.interval, self.crawled, self.taken_over = interval, 0, 0

    def as_info(self) -> dict[str, object]:
        return {
            "interval": self.interval,
            "crawled_this_interval": self.crawled,
            "crawled_last_interval": self.last_interval_crawled,
            "taken_over": self.taken_over,
            "fenced": self.fenced,
            "members": len(self.members),
        }


@dataclass(frozen=True)
class TickReport:
    """What one tick did; it may have crawled nothing (not due yet)."""

    interval: int
    stage: int | None
    crawl: CrawlReport | None = None

    def summary(self) -> str:
        if self.crawl is None:
            return f"interval {self.interval}: nothing due"
        return f"interval {self.interval} stage {self.stage}: {self.crawl.summary()}"

    @property
    def failed(self) -> int:
        return self.crawl.failed if self.crawl else 0

    @property
    def degraded(self) -> bool:
        return self.crawl.degraded if self.crawl else False

    @property
    def readings(self) -> dict[str, dict[str, float]]:
        return self.crawl.readings if self.crawl else {}


class FleetCrawler(Protocol):
    """What a shared crawl needs of ``CrawlService`` (the checker fakes it)."""

    def crawl_fleet(
        self,
        should_stop: ShouldStop = never_stop,
        *,
        pick: Pick | None = None,
        fence: Fence | None = None,
    ) -> CrawlReport: ...


class SharedCrawl:
    def __init__(
        self,
        *,
        crawler: FleetCrawler,
        claims: Claims,
        members: Callable[[], set[str]],
        visited_since: Callable[[datetime], set[str]],
        clock: Clock,
        every_s: float,
        me: str,
    ) -> None:
        self.crawler = crawler
        self.claims = claims
        self.members = members
        self.visited_since = visited_since
        self.clock = clock
        self.every_s = every_s
        self.me = me
        self.stats = ShareStats()
        self._done: dict[int, int] = {}  # interval -> stages done (0 = own share)
        self._held: set[tuple[int, str]] = set()  # claims this daemon won
        self._names: list[str] = []  # the fleet as the last pick saw it

    def tick(self, should_stop: ShouldStop = never_stop) -> TickReport:
        """Crawl whatever is due now: this interval's share, or a takeover stage."""
        now = self.clock.now()
        k = interval_of(now, self.every_s)
        self.stats.roll(k)
        stage = self._due_stage(k, phase(now, self.every_s))
        if stage is None:
            return TickReport(k, None)
        self._done = {k: stage + 1}
        self._held = {(i, name) for i, name in self._held if i == k}
        if stage > 0 and not self._any_free(k):
            return TickReport(k, stage)  # nothing to take over: skip the fleet query
        live = sorted(self.members() | {self.me})
        self.stats.members = live
        pick = self._pick(k, stage, live)
        report = self.crawler.crawl_fleet(should_stop, pick=pick, fence=self._fence(k))
        self._count(report, stage)
        return TickReport(k, stage, report)

    def _fence(self, k: int) -> Fence:
        """Visit and store only within interval ``k`` and while the claim is ours."""

        def holds(server: str, at: datetime) -> bool:
            # ``at`` is now before a visit, and the reading's time after it
            if interval_of(at, self.every_s) != k:
                return False
            return self._still_mine(k, server)

        return holds

    def _still_mine(self, k: int, server: str) -> bool:
        """Claim the server now, or read the claim back as ours (claimed
        again when Redis lost it meanwhile)."""
        try:
            if (k, server) not in self._held and self._claim_one(k, server):
                return True
            holder = self.claims.holders(KIND, k, [server])[server]
            if holder is None:
                return self._claim_one(k, server)
        except QueueUnavailable:
            return True  # without Redis the interval is the only lease
        return holder == self.me

    def _claim_one(self, k: int, server: str) -> bool:
        won = self.claims.claim(KIND, k, [server], self.me, self._ttl_ms(k))
        if won:
            self._held.add((k, server))
        return bool(won)

    def _any_free(self, k: int) -> bool:
        """Whether a server of the fleet last seen is unclaimed this interval."""
        if not self._names:
            return True
        try:
            holders = self.claims.holders(KIND, k, self._names)
        except QueueUnavailable:
            return False
        return any(h is None for h in holders.values())

    def _due_stage(self, k: int, at_phase: float) -> int | None:
        done = self._done.get(k, 0)
        if done == 0:
            return 0
        if done <= len(TAKEOVER_AT) and at_phase >= TAKEOVER_AT[done - 1]:
            return done
        return None

    def _pick(self, k: int, stage: int, live: list[str]) -> Pick:
        def pick(targets: list[CrawlTarget]) -> list[CrawlTarget]:
            names = [t.name for t in targets]
            self._names = names
            wanted = set(self._wanted(k, stage, names, live))
            # claimed one by one as each visit starts (the fence): a server a
            # slow daemon has not reached yet stays free for the takeover
            return [t for t in targets if t.name in wanted]

        return pick

    def _wanted(
        self, k: int, stage: int, names: list[str], live: list[str]
    ) -> list[str]:
        self._rebuild_if_lost(k)
        owners = assign(names, live)
        if stage == 0:
            return [n for n in names if owners[n] == self.me]
        try:
            holders = self.claims.holders(KIND, k, names)
        except QueueUnavailable:
            return []  # without claims a takeover could crawl twice: skip it
        free = self._not_in_store(k, [n for n, h in holders.items() if h is None])
        if stage >= len(TAKEOVER_AT):
            return free
        return [n for n in free if self.me in line(n, live, owners)[: stage + 1]]

    def _not_in_store(self, k: int, free: list[str]) -> list[str]:
        """Of the unclaimed servers, those the store has no visit of this interval.

        A claim Redis lost (restarted empty) may belong to a visit its crawl
        still held in memory at the rebuild and has written since (results
        are written in chunks): taken over, it would be crawled twice.
        """
        if not free:
            return free
        try:
            visited = self.visited_since(interval_start(k, self.every_s))
        except StoreError:
            return free  # the claims alone decide, as before the restart
        return [n for n in free if n not in visited]

    def _ttl_ms(self, k: int) -> int:
        """Until one interval past this one's end: no second claim meanwhile."""
        end = interval_start(k + 2, self.every_s)
        return max(1000, int((end - self.clock.now()).total_seconds() * 1000))

    def _rebuild_if_lost(self, k: int) -> None:
        """After Redis came back empty, claim for the store what it already has."""
        try:
            if not self.claims.needs_rebuild(self.me):
                return
            visited = self.visited_since(interval_start(k, self.every_s))
            holders = dict.fromkeys(visited, REBUILT_BY)
            self.claims.seed(KIND, k, holders, self._ttl_ms(k))
            log.warning(
                "crawl: claims rebuilt from the store (%d server(s) already crawled)",
                len(visited),
            )
        except (QueueUnavailable, StoreError) as e:
            log.warning("crawl: could not rebuild the claims: %s", e.message)

    def _count(self, report: CrawlReport, stage: int) -> None:
        self.stats.crawled += len(report.hosts)
        self.stats.fenced += report.fenced
        if stage > 0:
            self.stats.taken_over += len(report.hosts)
        if report.hosts:
            self.stats.last_crawl_at = report.started_at + timedelta(
                seconds=report.duration_s
            )


def visits_in_store(
    engine: Engine, sessions: SessionFactory
) -> Callable[[datetime], set[str]]:
    """The servers the store has a visit of since a time (raises StoreError)."""

    def since(at: datetime) -> set[str]:
        with translate_errors(engine), sessions() as s:
            return CrawlLogRepo(s).servers_visited_since(at)

    return since
