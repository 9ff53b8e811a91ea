"""One behaviour suite for every queue backend.

memory: the in-process backend; redis: the Redis backend on the shared server;
resilient: the production wiring with Redis up; degraded: the production
wiring with Redis unreachable, i.e. serving from its in-process fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis

from ssop.core.errors import ConfigError, InvalidInput, QueueUnavailable
from ssop.core.queue.base import CrawlNotice, LiveEvent
from ssop.core.queue.redis_backend import redis_backend
from ssop.core.queue.redis_stream import RedisWorkQueue
from tests.fakes.clock import FakeClock
from tests.support import queue_rigs as rigs
from tests.support.queue_rigs import MIN_IDLE_S, STREAM, Rig
from tests.support.services import claim_redis_database, release_redis_database

AT = datetime(2026, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)


def notice(
    server: str = "web1", sample_id: int | None = 1, ok: bool = True
) -> CrawlNotice:
    return CrawlNotice(server, sample_id, AT, ok, f"digest-{server}-{sample_id}")


@pytest.fixture(params=["memory", "redis", "resilient", "degraded"])
def rig(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Rig]:
    if request.param == "memory":
        made = rigs.memory_rig(clock)
    elif request.param == "degraded":
        made = rigs.degraded_rig(clock)
    else:
        db = request.getfixturevalue("redis_db")
        made = getattr(rigs, f"{request.param}_rig")(clock, db)
    yield made
    # The wrapped rigs must really have run on the side they claim to test.
    if made.kind == "degraded":
        made.backend.heartbeats.alive()
    assert made.backend.degraded is (made.kind == "degraded")
    made.backend.close()
    if made.redis is not None:
        made.redis.close()


@pytest.fixture
def redis_rig(clock: FakeClock, redis_db: int) -> Iterator[Rig]:
    made = rigs.redis_rig(clock, redis_db)
    yield made
    made.backend.close()
    assert made.redis is not None
    made.redis.close()


# --- work queue ---------------------------------------------------------------


def test_published_notice_is_delivered_once_until_acked(rig: Rig) -> None:
    q = rig.backend.work_queue
    q.publish(notice())
    [delivery] = q.claim("daemon-a", 10)
    assert delivery.notice == notice()
    assert q.claim("daemon-a", 10) == []
    assert q.pending_count() == 1
    q.ack(delivery)
    assert q.pending_count() == 0


def test_notice_round_trips_every_field(rig: Rig) -> None:
    plus_two = timezone(timedelta(hours=2))
    sent = CrawlNotice("db-1.example", None, AT.astimezone(plus_two), False, "")
    rig.backend.work_queue.publish(sent)
    [delivery] = rig.backend.work_queue.claim("daemon-a", 1)
    got = delivery.notice
    assert got == sent
    assert (got.sample_id, got.ok, got.digest, got.at.microsecond) == (
        None,
        False,
        "",
        123456,
    )


def test_claim_respects_count_and_publication_order(rig: Rig) -> None:
    q = rig.backend.work_queue
    for i in range(5):
        q.publish(notice(f"s{i}"))
    first = q.claim("daemon-a", 2)
    rest = q.claim("daemon-a", 10)
    assert [d.notice.server for d in first] == ["s0", "s1"]
    assert [d.notice.server for d in rest] == ["s2", "s3", "s4"]
    assert q.pending_count() == 5


def test_two_consumers_of_the_group_get_disjoint_entries(rig: Rig) -> None:
    q = rig.backend.work_queue
    for i in range(6):
        q.publish(notice(f"s{i}"))
    a = q.claim("daemon-a", 3)
    b = q.claim("daemon-b", 10)
    assert {d.id for d in a}.isdisjoint({d.id for d in b})
    assert sorted(d.notice.server for d in a + b) == [f"s{i}" for i in range(6)]


def test_unacked_delivery_goes_to_another_consumer_after_min_idle(rig: Rig) -> None:
    q = rig.backend.work_queue
    q.publish(notice())
    [first] = q.claim("daemon-a", 10)
    rig.advance(MIN_IDLE_S - 5)
    assert q.claim("daemon-b", 10) == []
    rig.advance(10)
    [again] = q.claim("daemon-b", 10)
    assert (again.id, again.notice) == (first.id, first.notice)
    assert q.claim("daemon-c", 10) == []  # b holds it now, freshly
    q.ack(again)
    q.ack(first)  # a's late ack of the same entry is harmless
    assert q.pending_count() == 0


def test_unacked_entry_survives_a_consumer_crash(rig: Rig) -> None:
    rig.backend.work_queue.publish(notice())
    [lost] = rig.backend.work_queue.claim("daemon-a", 10)
    survivor = rig.reopen()  # daemon-a died; a new process takes over
    if rig.redis is not None:
        summary = rig.redis.xpending(STREAM, "analysis")
        assert summary["pending"] == 1
        assert summary["consumers"] == [{"name": "daemon-a", "pending": 1}]
    assert survivor.work_queue.pending_count() == 1
    rig.advance(MIN_IDLE_S + 1)
    [taken] = survivor.work_queue.claim("daemon-b", 10)
    assert (taken.id, taken.notice) == (lost.id, notice())
    survivor.work_queue.ack(taken)
    assert survivor.work_queue.pending_count() == 0


def test_stale_entries_come_before_new_ones(rig: Rig) -> None:
    q = rig.backend.work_queue
    q.publish(notice("old"))
    q.claim("daemon-a", 1)
    rig.advance(MIN_IDLE_S + 1)
    q.publish(notice("new"))
    got = q.claim("daemon-b", 10)
    assert [d.notice.server for d in got] == ["old", "new"]


def test_blocking_claim_waits_for_a_publication(rig: Rig) -> None:
    q = rig.backend.work_queue
    assert q.claim("daemon-a", 10, block_ms=50) == []
    timer = threading.Timer(0.1, q.publish, args=(notice("late"),))
    timer.start()
    got = q.claim("daemon-a", 10, block_ms=3000)
    timer.join()
    assert [d.notice.server for d in got] == ["late"]


def test_claim_refuses_bad_consumer_and_count(rig: Rig) -> None:
    q = rig.backend.work_queue
    with pytest.raises(InvalidInput, match="consumer"):
        q.claim("two words", 1)
    with pytest.raises(InvalidInput, match="count"):
        q.claim("daemon-a", 0)


def test_notices_need_aware_times_and_key_safe_names() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        CrawlNotice("web1", 1, datetime(2026, 1, 1), True, "d")
    with pytest.raises(InvalidInput, match="server"):
        CrawlNotice("web*", 1, AT, True, "d")


# --- latest readings cache --------------------------------------------------------


def test_cache_keeps_latest_readings_per_server(rig: Rig) -> None:
    cache = rig.backend.cache
    cache.put("web1", {"cpu": 10.5, "disks": [{"mount": "/", "used": 0.5}]})
    cache.put("web1", {"cpu": 12.0})
    cache.put("web2", {"cpu": 1})
    assert cache.get("web1") == {"cpu": 12.0}
    assert cache.get("web3") is None
    assert cache.all() == {"web1": {"cpu": 12.0}, "web2": {"cpu": 1}}


def test_cache_entry_expires_after_its_ttl(rig: Rig) -> None:
    cache = rig.backend.cache
    cache.put("web1", {"cpu": 1})
    cache.put("web2", {"cpu": 2}, ttl=1200)
    rig.advance(590)
    assert cache.get("web1") == {"cpu": 1}
    rig.advance(20)
    assert cache.get("web1") is None
    assert cache.all() == {"web2": {"cpu": 2}}


def test_cache_holds_a_copy_and_refuses_non_json(rig: Rig) -> None:
    tags = ["a"]
    readings = {"cpu": 1, "tags": tags}
    rig.backend.cache.put("web1", readings)
    tags.append("b")
    assert rig.backend.cache.get("web1") == {"cpu": 1, "tags": ["a"]}
    with pytest.raises(InvalidInput, match="web1"):
        rig.backend.cache.put("web1", {"at": AT})


# --- live events ------------------------------------------------------------------


def test_every_subscriber_receives_a_published_event(rig: Rig) -> None:
    first, second = rig.backend.events.subscribe(), rig.backend.events.subscribe()
    sent = LiveEvent("crawl.done", "web1", AT, {"ok": True, "ms": 12})
    rig.backend.events.publish(sent)
    rig.backend.events.publish(LiveEvent("state.changed", None, AT, {}))
    assert first.get(2.0) == sent
    assert second.get(2.0) == sent
    assert first.get(2.0) == LiveEvent("state.changed", None, AT, {})
    assert first.get(0.05) is None
    first.close()
    second.close()


def test_event_data_must_be_json(rig: Rig) -> None:
    with pytest.raises(InvalidInput, match="crawl.done"):
        rig.backend.events.publish(LiveEvent("crawl.done", "web1", AT, {"x": object()}))


# --- heartbeats -------------------------------------------------------------------


def test_heartbeats_expire_after_their_ttl(rig: Rig) -> None:
    beats = rig.backend.heartbeats
    beats.beat("daemon-a", {"pid": 10, "servers": 3}, ttl_s=30)
    beats.beat("daemon-b", {"pid": 11}, ttl_s=90)
    assert beats.alive() == {
        "daemon-a": {"pid": 10, "servers": 3},
        "daemon-b": {"pid": 11},
    }
    rig.advance(31)
    assert set(beats.alive()) == {"daemon-b"}
    beats.beat("daemon-a", {"pid": 10}, ttl_s=30)
    assert set(beats.alive()) == {"daemon-a", "daemon-b"}
    with pytest.raises(InvalidInput, match="daemon id"):
        beats.beat("", {}, ttl_s=30)


# --- Redis specifics --------------------------------------------------------------


def test_redis_keys_are_namespaced_with_ttls(redis_rig: Rig) -> None:
    backend, client = redis_rig.backend, redis_rig.redis
    assert client is not None
    backend.cache.put("web1", {"cpu": 1})
    backend.heartbeats.beat("daemon-a", {}, ttl_s=45)
    backend.work_queue.publish(notice())
    keys = set(client.scan_iter(match="ssop:*"))
    assert keys == {STREAM, "ssop:latest:web1", "ssop:daemon:daemon-a"}
    assert 599_000 <= client.pttl("ssop:latest:web1") <= 600_000
    assert 44_000 <= client.pttl("ssop:daemon:daemon-a") <= 45_000


def test_redis_events_stay_within_their_database(
    redis_rig: Rig, clock: FakeClock
) -> None:
    # Redis delivers pub/sub across database indexes; two fleets sharing one
    # Redis on db N and db M must not see each other's live feed.
    other_db = claim_redis_database()
    other = redis_backend(rigs.redis_url(other_db), clock, min_idle_s=MIN_IDLE_S)
    try:
        here, there = redis_rig.backend.events.subscribe(), other.events.subscribe()
        sent = LiveEvent("crawl.done", "web1", AT, {"ok": True})
        other.events.publish(sent)
        assert there.get(2.0) == sent
        assert here.get(0.2) is None
        redis_rig.backend.events.publish(sent)
        assert here.get(2.0) == sent
        assert there.get(0.2) is None
        here.close()
        there.close()
    finally:
        other.close()
        release_redis_database(other_db)


def test_redis_drops_and_acks_a_malformed_entry(redis_rig: Rig) -> None:
    q, client = redis_rig.backend.work_queue, redis_rig.redis
    assert client is not None
    q.publish(notice("before"))
    client.xadd(STREAM, {"junk": "1"})
    q.publish(notice("after"))
    got = q.claim("daemon-a", 10)
    assert [d.notice.server for d in got] == ["before", "after"]
    for d in got:
        q.ack(d)
    assert q.pending_count() == 0


def test_redis_puts_back_notices_it_lost(redis_rig: Rig, clock: FakeClock) -> None:
    q, client = redis_rig.backend.work_queue, redis_rig.redis
    assert isinstance(q, RedisWorkQueue) and client is not None
    for server in ("done", "busy", "waiting"):
        q.publish(notice(server))
    done, busy = q.claim("daemon-a", 2)
    q.ack(done)
    client.flushdb()  # what a restart of a Redis without persistence does
    got = q.claim("daemon-a", 10)
    assert sorted(d.notice.server for d in got) == ["busy", "waiting"]


def test_redis_journal_forgets_what_another_daemon_acked(redis_rig: Rig) -> None:
    publisher = redis_rig.backend.work_queue
    assert isinstance(publisher, RedisWorkQueue)
    for i in range(3):
        publisher.publish(notice(f"s{i}"))
    consumer = redis_rig.reopen().work_queue
    held = consumer.claim("daemon-b", 10)
    consumer.ack(held[0])
    consumer.ack(held[2])
    publisher.reconcile()
    assert publisher.journal_size == 2  # s1 still pending, s2 behind it
    consumer.ack(held[1])
    publisher.reconcile()
    assert publisher.journal_size == 0


def test_redis_unreachable_raises_queue_unavailable(clock: FakeClock) -> None:
    backend = redis_backend(rigs.redis_url(0, rigs.free_port()), clock)
    with pytest.raises(QueueUnavailable, match="redis: publish"):
        backend.work_queue.publish(notice())
    with pytest.raises(QueueUnavailable):
        backend.cache.all()
    with pytest.raises(QueueUnavailable):
        backend.events.subscribe()


def test_bad_redis_url_is_a_config_error(clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="redis.url"):
        redis_backend("http://127.0.0.1/", clock)


def test_redis_client_survives_unrelated_errors(redis_rig: Rig) -> None:
    client = redis_rig.redis
    assert client is not None
    client.set(STREAM, "not a stream")
    with pytest.raises(QueueUnavailable, match="WRONGTYPE") as info:
        redis_rig.backend.work_queue.publish(notice())
    assert isinstance(info.value.__cause__, redis.ResponseError)
