"""Randomized fault schedules over the real claim code: simulated daemons,
real ``SharedCrawl`` and ``RedisClaims`` on a real Redis, a fake clock.

Each simulated daemon ticks as the real crawl step does; its "crawl" visits
the servers its pick chose and logs (server, time) where the real one stores
a sample. Faults: a daemon killed (its heartbeat stops and it never comes
back; sometimes a new one joins later), paused (SIGSTOP) between ticks or in
the middle of a crawl, before or after reading a host, and resumed later;
and Redis restarted empty (FLUSHDB). The log is then checked interval by
interval with ``tests.support.scaleout_check``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from ssop.core.crawl.host_visit import CrawlTarget
from ssop.core.crawl.rendezvous import interval_of
from ssop.core.crawl.report import CrawlReport, HostReport
from ssop.core.crawl.service import Fence, Pick
from ssop.core.crawl.shared import SharedCrawl
from ssop.core.ops.membership import member_expiry_s
from ssop.core.queue.redis_claims import RedisClaims
from ssop.core.work import ShouldStop, never_stop
from tests.fakes.clock import FakeClock
from tests.support.scaleout_check import IntervalCount, Visit, per_interval, violations

EVERY_S, TICK_S, HEARTBEAT_S = 10.0, 1.0, 10.0


@dataclass(frozen=True)
class Target:
    name: str


@dataclass
class Deferred:
    """A crawl frozen by a pause: what it chose, and whether it had read them."""

    chosen: list[str]
    fence: Fence
    read_at: datetime | None


@dataclass
class SimDaemon:
    id: str
    shared: SharedCrawl
    state: str = "alive"  # alive, paused, dead
    paused_until: datetime | None = None
    deferred: Deferred | None = None
    pause_next_crawl: str | None = None  # "before" or "after" reading
    last_beat: datetime | None = None


@dataclass
class Outcome:
    seed: int
    counts: list[IntervalCount]
    excused: set[int]
    problems: list[str]
    faults: list[str] = field(default_factory=list)


class SimCrawler:
    def __init__(self, sim: Simulation, daemon_id: str) -> None:
        self.sim = sim
        self.daemon_id = daemon_id

    def crawl_fleet(
        self,
        should_stop: ShouldStop = never_stop,
        *,
        pick: Pick | None = None,
        fence: Fence | None = None,
    ) -> CrawlReport:
        assert pick is not None and fence is not None
        targets = cast(list[CrawlTarget], [Target(h) for h in self.sim.hosts])
        chosen = [cast(Target, t).name for t in pick(targets)]
        daemon = self.sim.daemons[self.daemon_id]
        now = self.sim.clock.now()
        if daemon.pause_next_crawl is not None and chosen:
            read_at = now if daemon.pause_next_crawl == "after" else None
            if read_at is not None:  # the visits started: their claims were made
                chosen = [h for h in chosen if fence(h, now)]
            daemon.deferred = Deferred(chosen, fence, read_at)
            daemon.pause_next_crawl = None
            self.sim.pause(daemon, self.sim.rng.uniform(0.2, 2.5) * EVERY_S)
            return _report(now, [])
        return _report(now, self.sim.visit(chosen, fence, now))


def _report(at: datetime, visited: list[str]) -> CrawlReport:
    hosts = tuple(
        HostReport(server=h, ok=True, cause=None, message="", at=at, duration_s=0.0)
        for h in visited
    )
    return CrawlReport(started_at=at, duration_s=0.0, hosts=hosts)


class Simulation:
    def __init__(
        self,
        seed: int,
        claims: RedisClaims,
        flush: Callable[[], None],
        *,
        hosts: int = 24,
        daemons: int = 3,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.claims = claims
        self.flush = flush
        self.hosts = [f"h{i:03d}" for i in range(hosts)]
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
            seconds=self.rng.uniform(0, EVERY_S)
        )
        self.clock = FakeClock(start)
        self.log: list[Visit] = []
        self.daemons: dict[str, SimDaemon] = {}
        self.excused: set[int] = set()
        self.faults: list[str] = []
        self._joined = 0
        for _ in range(daemons):
            self.join()

    def interval(self) -> int:
        return interval_of(self.clock.now(), EVERY_S)

    def join(self) -> None:
        self._joined += 1
        daemon_id = f"sim:{self._joined}:{self.seed}"
        shared = SharedCrawl(
            crawler=SimCrawler(self, daemon_id),
            claims=self.claims,
            members=self.members,
            visited_since=self.visited_since,
            clock=self.clock,
            every_s=EVERY_S,
            me=daemon_id,
        )
        self.daemons[daemon_id] = SimDaemon(daemon_id, shared)
        self.beat(self.daemons[daemon_id])

    def members(self) -> set[str]:
        now, expiry = self.clock.now(), member_expiry_s(HEARTBEAT_S)
        return {
            d.id
            for d in self.daemons.values()
            if d.last_beat is not None and (now - d.last_beat).total_seconds() <= expiry
        }

    def visited_since(self, at: datetime) -> set[str]:
        return {h for h, t in self.log if t >= at}

    def beat(self, d: SimDaemon) -> None:
        now = self.clock.now()
        if d.last_beat is None or (now - d.last_beat).total_seconds() >= HEARTBEAT_S:
            d.last_beat = now

    def visit(self, chosen: list[str], fence: Fence, at: datetime) -> list[str]:
        done = [h for h in chosen if fence(h, at) and fence(h, at)]
        self.log += [(h, at) for h in done]
        return done

    def pause(self, d: SimDaemon, seconds: float) -> None:
        d.state = "paused"
        d.paused_until = self.clock.now() + timedelta(seconds=seconds)
        self.excused.add(self.interval())
        self.faults.append(f"{self.clock.now():%S.%f} pause {d.id} {seconds:.1f}s")

    def resume(self, d: SimDaemon) -> None:
        d.state, d.paused_until = "alive", None
        deferred, d.deferred = d.deferred, None
        if deferred is None:
            return
        at = deferred.read_at or self.clock.now()
        # before reading: the visit starts now; after: it is stored now
        checked = [
            h for h in deferred.chosen if deferred.read_at or deferred.fence(h, at)
        ]
        self.log += [(h, at) for h in checked if deferred.fence(h, at)]

    def inject(self) -> None:
        """At most one fault a tick, a few per schedule."""
        if self.rng.random() > 0.03:
            return
        alive = [d for d in self.daemons.values() if d.state == "alive"]
        kind = self.rng.choice(("kill", "pause", "pause-crawl", "flush", "join"))
        if kind == "flush":
            self.flush()
            self.faults.append(f"flush at {self.interval()}")
        elif kind == "join" and len(self.daemons) < 8:
            self.join()
        elif alive and len(alive) > 1 and kind == "kill":
            victim = self.rng.choice(alive)
            victim.state = "dead"
            self.excused.add(self.interval())
            self.faults.append(f"kill {victim.id} at {self.interval()}")
        elif alive and kind == "pause":
            self.pause(self.rng.choice(alive), self.rng.uniform(0.2, 2.5) * EVERY_S)
        elif alive and kind == "pause-crawl":
            self.rng.choice(alive).pause_next_crawl = self.rng.choice(
                ("before", "after")
            )

    def step(self) -> None:
        self.inject()
        order = list(self.daemons.values())
        self.rng.shuffle(order)
        for d in order:
            if (
                d.state == "paused"
                and d.paused_until
                and self.clock.now() >= d.paused_until
            ):
                self.resume(d)
            if d.state != "alive":
                continue
            self.beat(d)
            d.shared.tick()
        if not any(d.state == "alive" for d in self.daemons.values()):
            # every daemon dead or paused: nobody can crawl, misses are due
            self.excused.add(self.interval())
        self.clock.advance(TICK_S * self.rng.uniform(0.5, 1.5))

    def run(self, intervals: int) -> Outcome:
        first = self.interval() + 1
        last = first + intervals - 1
        while self.interval() <= last + 1:
            self.step()
        # a pending pause-mid-crawl excuses the interval it strikes in; one
        # struck and resumed is already excused by pause()
        counts = per_interval(self.log, self.hosts, EVERY_S, range(first, last + 1))
        return Outcome(
            self.seed,
            counts,
            self.excused,
            violations(counts, self.excused),
            self.faults,
        )
