"""Two daemons noticing the same fact send one notification (real Redis)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pytest

from ssop.core.errors import QueueUnavailable
from ssop.core.notify.dedup import DedupNotifier, event_id
from ssop.core.notify.events import EventKind, Notification, daemon_error
from ssop.core.queue.redis_claims import RedisClaims
from tests.support import services as support

pytestmark = [pytest.mark.redis]
AT = datetime(2026, 1, 1, tzinfo=UTC)


class Sent:
    def __init__(self) -> None:
        self.events: list[Notification] = []

    def notify(self, event: Notification) -> None:
        self.events.append(event)


class DownClaims:
    def claim(
        self, kind: str, interval: int, items: Sequence[str], token: str, ttl_ms: int
    ) -> set[str]:
        raise QueueUnavailable("redis down")

    def holders(
        self, kind: str, interval: int, items: Sequence[str]
    ) -> dict[str, str | None]:
        raise QueueUnavailable("redis down")

    def needs_rebuild(self, token: str) -> bool:
        raise QueueUnavailable("redis down")

    def seed(
        self, kind: str, interval: int, holders: Mapping[str, str], ttl_ms: int
    ) -> None:
        raise QueueUnavailable("redis down")


def expired(request_id: int, at: datetime = AT) -> Notification:
    return Notification(
        EventKind.APPROVAL_EXPIRED,
        at,
        "expired",
        request_id=request_id,
        status="expired",
    )


def test_the_same_event_from_two_daemons_is_sent_once(redis_db: int) -> None:
    client = support.redis_client(redis_db)
    sent = Sent()
    one = DedupNotifier(sent, RedisClaims(client), "d1")
    two = DedupNotifier(sent, RedisClaims(client), "d2")
    one.notify(expired(7))
    two.notify(expired(7, at=AT.replace(second=3)))  # seen a little later
    two.notify(expired(8))
    one.notify(daemon_error(AT, "crawl", "boom", "d1"))
    two.notify(daemon_error(AT, "crawl", "boom", "d2"))  # its own error: another fact
    client.close()
    assert [(e.kind, e.request_id, e.actor) for e in sent.events] == [
        (EventKind.APPROVAL_EXPIRED, 7, ""),
        (EventKind.APPROVAL_EXPIRED, 8, ""),
        (EventKind.DAEMON_ERROR, None, "d1"),
        (EventKind.DAEMON_ERROR, None, "d2"),
    ]


def test_without_redis_events_are_sent_rather_than_lost() -> None:
    sent = Sent()
    notifier = DedupNotifier(sent, DownClaims(), "d1")
    notifier.notify(expired(7))
    notifier.notify(expired(7))
    assert len(sent.events) == 2
    assert event_id(expired(7)) == event_id(expired(7, at=AT.replace(minute=5)))
