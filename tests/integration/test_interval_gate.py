"""Each server's analysis runs once per analysis interval across daemons."""

from __future__ import annotations

import pytest

from ssop.core.queue.claims import interval_gate
from ssop.core.queue.redis_claims import RedisClaims
from tests.fakes.clock import FakeClock
from tests.integration.test_notify_dedup import DownClaims
from tests.support import services as support

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
