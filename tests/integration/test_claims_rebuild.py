"""Redis restarted empty while a daemon still holds crawl results in memory
(visited, not yet written): the claims rebuilt from the store must not hand
those servers to another daemon's takeover in the same interval.

Two ``SharedCrawl``s on the real claim code and a real Redis, a fake clock,
and crawlers that keep their results until told to write them, as the
crawl's buffer does between flushes."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from ssop.core.crawl.host_visit import CrawlTarget
from ssop.core.crawl.rendezvous import interval_start
from ssop.core.crawl.report import CrawlReport, HostReport
from ssop.core.crawl.service import Fence, Pick
from ssop.core.crawl.shared import SharedCrawl
from ssop.core.queue.redis_claims import RedisClaims
from ssop.core.work import ShouldStop, never_stop
from tests.fakes.clock import FakeClock
from tests.support import services as support
from tests.support.scaleout_check import Visit, per_interval, violations
from tests.support.scaleout_sim import Target

pytestmark = [pytest.mark.redis]

EVERY_S = 10.0
HOSTS = [f"h{i:02d}" for i in range(12)]
K = 177_000_000  # the interval the test runs in


class BufferingCrawler:
    """Visits what the pick chose, through the fence as ``CrawlService`` does,
    and holds the results until ``write``."""

    def __init__(self, clock: FakeClock, store: list[Visit]) -> None:
        self.clock = clock
        self.store = store
        self.held: list[Visit] = []

    def crawl_fleet(
        self,
        should_stop: ShouldStop = never_stop,
        *,
        pick: Pick | None = None,
        fence: Fence | None = None,
    ) -> CrawlReport:
        assert pick is not None and fence is not None
        targets = cast(list[CrawlTarget], [Target(h) for h in HOSTS])
        at = self.clock.now()
        chosen = [cast(Target, t).name for t in pick(targets)]
        # asked before the visit and again of its result
        visited = [h for h in chosen if fence(h, at) and fence(h, at)]
        self.held += [(h, at) for h in visited]
        hosts = tuple(
            HostReport(server=h, ok=True, cause=None, message="", at=at, duration_s=0)
            for h in visited
        )
        return CrawlReport(started_at=at, duration_s=0.0, hosts=hosts)

    def write(self) -> None:
        self.store += self.held
        self.held = []


def at_phase(clock: FakeClock, phase: float) -> None:
    target = interval_start(K, EVERY_S) + timedelta(seconds=phase * EVERY_S)
    clock.advance((target - clock.now()).total_seconds())


def test_results_held_in_memory_are_not_crawled_again_after_redis_restarts(
    redis_db: int,
) -> None:
    client = support.redis_client(redis_db)
    clock = FakeClock(interval_start(K, EVERY_S))
    store: list[Visit] = []
    claims = RedisClaims(client, clock=clock)

    def daemon(me: str) -> tuple[SharedCrawl, BufferingCrawler]:
        crawler = BufferingCrawler(clock, store)
        shared = SharedCrawl(
            crawler=crawler,
            claims=claims,
            members=lambda: {"a", "b"},
            visited_since=lambda since: {h for h, t in store if t >= since},
            clock=clock,
            every_s=EVERY_S,
            me=me,
        )
        return shared, crawler

    (a, a_crawl), (b, b_crawl) = daemon("a"), daemon("b")
    at_phase(clock, 0.05)
    a.tick()  # a crawls its share; the results wait in its memory
    support.flush_keeping_claim(client)  # Redis restarted empty
    at_phase(clock, 0.1)
    b.tick()  # b rebuilds the claims from the store, which lacks a's results
    b_crawl.write()
    a_crawl.write()
    for phase in (0.4, 0.65):  # both takeover stages
        at_phase(clock, phase)
        a.tick()
        b.tick()
        a_crawl.write()
        b_crawl.write()
    client.close()

    counts = per_interval(store, HOSTS, EVERY_S, [K])
    assert violations(counts, excused=set()) == [], counts[0].line()
