"""A real Redis outage: a private redis-server is killed and restarted mid-use.

Backoff decisions run on the fake clock; only the redis-server process start
takes real time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.queue.base import CrawlNotice, LiveEvent, QueueBackend, WorkQueue
from ssop.core.queue.factory import build_queue_backend
from ssop.core.queue.redis_conn import DEFAULT_TIMEOUT_S
from ssop.core.services import build_services
from tests.fakes.clock import FakeClock
from tests.support.queue_rigs import settings_for
from tests.support.redis_server import PrivateRedis

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def notice(server: str) -> CrawlNotice:
    return CrawlNotice(server, 1, AT, True, f"digest-{server}")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def backend(private_redis: PrivateRedis, clock: FakeClock) -> Iterator[QueueBackend]:
    made = build_queue_backend(settings_for(private_redis.url), clock)
    yield made
    made.close()


def drain(q: WorkQueue) -> list[str]:
    """Claim and ack until nothing is left; the servers in delivery order."""
    seen: list[str] = []
    while batch := q.claim("daemon-1", 10):
        for delivery in batch:
            seen.append(delivery.notice.server)
            q.ack(delivery)
    return seen


def outage_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "ssop.core.queue.link" and r.levelno >= logging.INFO
    ]


def test_outage_falls_back_reconnects_and_loses_nothing(
    private_redis: PrivateRedis,
    backend: QueueBackend,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ssop.core.queue.link")
    q = backend.work_queue
    for server in ("acked", "busy", "waiting"):
        q.publish(notice(server))
    acked, busy = q.claim("daemon-1", 2)
    q.ack(acked)

    private_redis.stop()
    q.publish(notice("during-1"))
    assert backend.degraded
    q.publish(notice("during-2"))
    assert drain(q) == ["during-1", "during-2"]  # deliveries go on in-process
    q.ack(busy)  # its result is stored; the XACK is owed to Redis
    q.publish(notice("during-3"))

    private_redis.start()  # empty: this Redis keeps nothing on disk
    clock.advance(0.5)
    q.publish(notice("before-retry"))
    assert backend.degraded  # the 1 s backoff has not passed
    clock.advance(0.5)
    q.publish(notice("after-retry"))
    assert not backend.degraded

    rest = drain(q)
    assert rest[:2] == ["during-3", "before-retry"]  # in-process first
    assert sorted(rest[2:]) == ["after-retry", "waiting"]
    assert q.pending_count() == 0
    messages = outage_messages(caplog)
    assert len(messages) == 2
    assert "unavailable" in messages[0] and "reachable again" in messages[1]


def test_backoff_grows_while_redis_stays_down(
    private_redis: PrivateRedis, backend: QueueBackend, clock: FakeClock
) -> None:
    private_redis.stop()
    backend.heartbeats.beat("daemon-1", {"pid": 1}, ttl_s=30)
    assert backend.degraded
    for wait in (1.0, 2.0, 4.0):
        clock.advance(wait - 0.01)
        backend.cache.put("web1", {"cpu": 1})
        clock.advance(0.01)
        backend.cache.put("web1", {"cpu": 2})  # the probe, refused again
    assert backend.degraded
    assert backend.cache.get("web1") == {"cpu": 2}
    assert backend.heartbeats.alive() == {"daemon-1": {"pid": 1}}
    private_redis.start()
    clock.advance(8.0)
    backend.cache.put("web2", {"cpu": 3})
    assert not backend.degraded
    # Written during the outage, still readable until it expires.
    assert backend.cache.all() == {"web1": {"cpu": 2}, "web2": {"cpu": 3}}


def test_starting_without_redis_switches_over_when_it_appears(
    private_redis: PrivateRedis, backend: QueueBackend, clock: FakeClock
) -> None:
    private_redis.stop()
    q = backend.work_queue
    q.publish(notice("early"))
    assert backend.degraded and q.pending_count() == 1
    private_redis.start()
    clock.advance(1.0)
    q.publish(notice("late"))
    assert not backend.degraded
    assert q.pending_count() == 2
    assert drain(q) == ["early", "late"]


def test_events_reach_a_subscriber_through_an_outage(
    private_redis: PrivateRedis, backend: QueueBackend, clock: FakeClock
) -> None:
    sub = backend.events.subscribe()
    backend.events.publish(LiveEvent("crawl.done", "web1", AT, {"n": 1}))
    assert sub.get(2.0) == LiveEvent("crawl.done", "web1", AT, {"n": 1})
    private_redis.stop()
    backend.events.publish(LiveEvent("crawl.done", "web1", AT, {"n": 2}))
    assert backend.degraded
    assert sub.get(2.0) == LiveEvent("crawl.done", "web1", AT, {"n": 2})
    private_redis.start()
    clock.advance(1.0)
    assert sub.get(0.2) is None  # re-subscribes to the new server
    assert not backend.degraded
    backend.events.publish(LiveEvent("state.changed", "web1", AT, {"n": 3}))
    assert sub.get(2.0) == LiveEvent("state.changed", "web1", AT, {"n": 3})
    sub.close()


def test_unacked_redis_delivery_comes_back_after_a_restart(
    private_redis: PrivateRedis, backend: QueueBackend, clock: FakeClock
) -> None:
    q = backend.work_queue
    q.publish(notice("in-flight"))
    [lost] = q.claim("daemon-1", 1)
    private_redis.stop()
    private_redis.start()
    clock.advance(60)  # past the periodic check of Redis's run id
    [again] = q.claim("daemon-2", 1)
    assert again.notice == lost.notice
    q.ack(again)
    assert q.pending_count() == 0


def test_services_choose_the_backend_from_settings(
    private_redis: PrivateRedis, isolated_env: dict[str, str], tmp_path: Path
) -> None:
    base = dict(isolated_env, SSOP_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    for environ, kind in (
        (base, "memory"),
        (dict(base, SSOP_REDIS_URL=private_redis.url), "redis"),
        (
            dict(base, REDIS_HOST="127.0.0.1", REDIS_PORT=str(private_redis.port)),
            "redis",
        ),
    ):
        services = build_services(
            load_config(environ=environ, system_config=Path("/x"))
        )
        backend = services.queue
        assert backend is services.queue and backend.kind == kind
        backend.cache.put("web1", {"cpu": 1})
        assert backend.cache.get("web1") == {"cpu": 1} and not backend.degraded
        backend.close()
        services.close()


def timed(call: Callable[[], object]) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_a_paused_redis_costs_one_short_timeout_then_the_fallback_serves_at_once(
    private_redis: PrivateRedis, backend: QueueBackend, clock: FakeClock
) -> None:
    """SIGSTOP: connections are accepted and never answered. Each call used to
    wait the 10 s socket timeout, twice with the retry, on the crawl's path."""
    q = backend.work_queue
    q.publish(notice("before"))
    private_redis.pause()
    try:
        first = timed(lambda: q.publish(notice("paused-1")))
        assert backend.degraded

        def publish_more() -> None:
            for n in range(2, 50):
                q.publish(notice(f"paused-{n}"))

        rest = timed(publish_more)
        clock.advance(1.0)  # the backoff has passed: one probe, refused again
        probe = timed(lambda: backend.cache.put("web1", {"cpu": 1}))
        assert backend.degraded
    finally:
        private_redis.resume()
    # redis.timeout is 1 s: one wait of about that, then no wait at all
    assert first < 3 * DEFAULT_TIMEOUT_S and probe < 3 * DEFAULT_TIMEOUT_S
    assert rest < 0.5
    clock.advance(2.0)
    q.publish(notice("resumed"))
    assert not backend.degraded
    assert drain(q)[-1] == "resumed"
