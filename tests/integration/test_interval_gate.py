"""Each server's analysis runs once per analysis interval across daemons."""

from __future__ import annotations

import pytest

from ssop.core.errors import QueueUnavailable
from ssop.core.queue.claims import interval_gate
from ssop.core.queue.redis_claims import RedisClaims, redis_claims
from tests.fakes.clock import FakeClock
from tests.integration.test_notify_dedup import DownClaims
from tests.support import services as support
from tests.support.sshd import free_port

pytestmark = [pytest.mark.redis]


def test_first_daemon_per_server_and_interval_wins(redis_db: int) -> None:
    client = support.redis_client(redis_db)
    clock = FakeClock()
    one = interval_gate(RedisClaims(client), "analyse", clock.now, 60.0, "d1")
    two = interval_gate(RedisClaims(client), "analyse", clock.now, 60.0, "d2")
    assert one("web1") and not two("web1") and two("web2")
    clock.advance(60.0)
    assert two("web1") and not one("web1")
    client.close()


def test_without_redis_every_daemon_analyses() -> None:
    gate = interval_gate(DownClaims(), "analyse", FakeClock().now, 60.0, "d1")
    assert gate("web1") and gate("web1")


class Untouchable:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"redis was asked ({name}) while backing off")


def test_a_dead_redis_costs_one_timeout_then_claims_fail_at_once() -> None:
    clock = FakeClock()
    claims = redis_claims(f"redis://127.0.0.1:{free_port()}/0", 0.2, clock)
    with pytest.raises(QueueUnavailable):
        claims.claim("crawl", 1, ["web1"], "d1", 1000)
    claims._r.close()
    claims._r = Untouchable()  # type: ignore[assignment]
    for _ in range(3):  # a crawl of many servers: none waits for Redis
        with pytest.raises(QueueUnavailable, match="waiting to retry"):
            claims.holders("crawl", 1, ["web1"])
    clock.advance(1.5)  # the backoff lets one call try Redis again
    with pytest.raises(AssertionError, match="while backing off"):
        claims.needs_rebuild("d1")
