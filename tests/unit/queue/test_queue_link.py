"""The Link's backoff and state changes, and the in-process queue's limits."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from ssop.core.errors import QueueUnavailable
from ssop.core.queue.base import CrawlNotice
from ssop.core.queue.link import Link
from ssop.core.queue.memory import MemoryWorkQueue
from tests.fakes.clock import FakeClock


class Primary:
    """A stand-in for Redis: answers, or raises QueueUnavailable while down."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.down:
            raise QueueUnavailable("redis: connection refused")
        return "primary"


def fallback() -> str:
    return "fallback"


@pytest.fixture
def link(clock: FakeClock) -> Link:
    return Link(clock, first_retry_s=1.0, max_retry_s=8.0)


def test_up_link_uses_the_primary(link: Link) -> None:
    assert link.call(Primary(), fallback) == "primary"
    assert not link.degraded and link.retry_in() is None


def test_failure_degrades_and_waits_before_trying_again(
    link: Link, clock: FakeClock
) -> None:
    primary = Primary()
    primary.down = True
    assert link.call(primary, fallback) == "fallback"
    assert link.degraded and link.retry_in() == 1.0
    clock.advance(0.9)
    primary.down = False
    assert link.call(primary, fallback) == "fallback"
    assert primary.calls == 1
    clock.advance(0.1)
    assert link.call(primary, fallback) == "primary"
    assert not link.degraded


def test_backoff_doubles_up_to_the_cap(link: Link, clock: FakeClock) -> None:
    primary = Primary()
    primary.down = True
    link.call(primary, fallback)
    waits = []
    for _ in range(6):
        wait = link.retry_in()
        assert wait is not None
        waits.append(wait)
        clock.advance(wait)
        link.call(primary, fallback)
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert primary.calls == 7


def test_recovery_resets_the_backoff(link: Link, clock: FakeClock) -> None:
    primary = Primary()
    primary.down = True
    link.call(primary, fallback)
    clock.advance(1.0)
    link.call(primary, fallback)  # failed probe: next wait 2 s
    clock.advance(2.0)
    primary.down = False
    link.call(primary, fallback)
    primary.down = True
    link.call(primary, fallback)
    assert link.retry_in() == 1.0


def test_each_state_change_is_logged_once(
    link: Link, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ssop.core.queue.link")
    primary = Primary()
    primary.down = True
    for _ in range(5):
        link.call(primary, fallback)
        clock.advance(1.0)
    clock.advance(60)
    primary.down = False
    for _ in range(3):
        link.call(primary, fallback)
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert len(messages) == 2
    assert "unavailable (redis: connection refused)" in messages[0]
    assert "reachable again" in messages[1]


def test_recovery_hooks_run_once_and_a_failing_hook_degrades_again(
    link: Link, clock: FakeClock
) -> None:
    primary = Primary()
    runs: list[str] = []

    def hook() -> None:
        runs.append("hook")
        if len(runs) == 1:
            raise QueueUnavailable("redis: lost again")

    link.on_recover(hook)
    primary.down = True
    link.call(primary, fallback)
    clock.advance(1.0)
    primary.down = False
    assert link.call(primary, fallback) == "primary"
    assert runs == ["hook"] and link.degraded
    clock.advance(1.0)
    link.call(primary, fallback)
    link.call(primary, fallback)
    assert runs == ["hook", "hook"] and not link.degraded


def test_only_one_caller_probes_at_a_time(link: Link, clock: FakeClock) -> None:
    primary = Primary()
    primary.down = True
    link.call(primary, fallback)
    clock.advance(1.0)
    seen_during_probe: list[str] = []

    def probing() -> str:
        seen_during_probe.append(link.call(primary, fallback))
        return "primary"

    assert link.call(probing, fallback) == "primary"
    assert seen_during_probe == ["fallback"]
    assert primary.calls == 1


def test_memory_queue_drops_the_oldest_waiting_notice_when_full(
    clock: FakeClock,
) -> None:
    q = MemoryWorkQueue(clock, maxlen=3)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(5):
        q.publish(CrawlNotice(f"s{i}", i, at, True, ""))
    assert [d.notice.server for d in q.claim("daemon-a", 10)] == ["s2", "s3", "s4"]
