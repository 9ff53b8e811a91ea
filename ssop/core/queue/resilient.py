"""Redis with an in-process fallback, so the daemon keeps working through an outage.

Every service goes through one shared ``Link``: while Redis is down the
in-process fallback serves, and Redis is tried again with backoff. Back on
Redis, what the fallback still holds is drained first, so nothing published
during the outage is lost.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from functools import partial
from typing import Any, Protocol, runtime_checkable

from ssop.core.clock import Clock
from ssop.core.errors import QueueUnavailable
from ssop.core.queue.base import (
    CrawlNotice,
    Delivery,
    EventBus,
    Heartbeats,
    LatestCache,
    LiveEvent,
    QueueBackend,
    Subscription,
    WorkQueue,
)
from ssop.core.queue.link import Link
from ssop.core.queue.memory import MEMORY_ID_PREFIX

POLL_S = 0.1
OWED_ACKS_CAP = 10_000


@runtime_checkable
class SelfHealing(Protocol):
    """A work queue that can put back what its server lost (RedisWorkQueue)."""

    def reconcile(self) -> None: ...

    def forget(self, delivery: Delivery) -> None: ...


class ResilientWorkQueue:
    """Publishes to Redis or, while it is down, to the in-process queue.

    Claims drain the in-process queue first. Acks of Redis deliveries made
    during an outage are kept and sent once Redis answers again.
    """

    def __init__(self, primary: WorkQueue, fallback: WorkQueue, link: Link) -> None:
        self._primary = primary
        self._fallback = fallback
        self._link = link
        self._owed: deque[Delivery] = deque(maxlen=OWED_ACKS_CAP)
        link.on_recover(self._recovered)

    @property
    def degraded(self) -> bool:
        return self._link.degraded

    def publish(self, notice: CrawlNotice) -> None:
        self._link.call(
            lambda: self._primary.publish(notice),
            lambda: self._fallback.publish(notice),
        )

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[Delivery]:
        local = self._fallback.claim(consumer, count)
        if local:
            return local
        return self._link.call(
            lambda: self._primary.claim(consumer, count, block_ms),
            lambda: self._fallback.claim(consumer, count, block_ms),
        )

    def ack(self, delivery: Delivery) -> None:
        if delivery.id.startswith(MEMORY_ID_PREFIX):
            self._fallback.ack(delivery)
            return
        self._link.call(
            lambda: self._primary.ack(delivery), lambda: self._owe(delivery)
        )

    def pending_count(self) -> int:
        remote = self._link.call(self._primary.pending_count, lambda: 0)
        return self._fallback.pending_count() + remote

    def _owe(self, delivery: Delivery) -> None:
        if isinstance(self._primary, SelfHealing):
            self._primary.forget(delivery)
        self._owed.append(delivery)

    def _recovered(self) -> None:
        while self._owed:
            self._primary.ack(self._owed[0])
            self._owed.popleft()
        if isinstance(self._primary, SelfHealing):
            self._primary.reconcile()


class ResilientCache:
    """Readings cached during an outage stay readable until they expire."""

    def __init__(self, primary: LatestCache, fallback: LatestCache, link: Link) -> None:
        self._primary, self._fallback, self._link = primary, fallback, link

    def put(self, server: str, readings: Mapping[str, Any], ttl: int = 600) -> None:
        self._link.call(
            lambda: self._primary.put(server, readings, ttl),
            lambda: self._fallback.put(server, readings, ttl),
        )

    def get(self, server: str) -> dict[str, Any] | None:
        found = self._link.call(lambda: self._primary.get(server), lambda: None)
        return found if found is not None else self._fallback.get(server)

    def all(self) -> dict[str, dict[str, Any]]:
        merged = self._fallback.all()
        merged.update(self._link.call(self._primary.all, dict))
        return merged


class ResilientHeartbeats:
    def __init__(self, primary: Heartbeats, fallback: Heartbeats, link: Link) -> None:
        self._primary, self._fallback, self._link = primary, fallback, link

    def beat(self, daemon_id: str, info: Mapping[str, Any], ttl_s: float) -> None:
        self._link.call(
            lambda: self._primary.beat(daemon_id, info, ttl_s),
            lambda: self._fallback.beat(daemon_id, info, ttl_s),
        )

    def alive(self) -> dict[str, dict[str, Any]]:
        merged = self._fallback.alive()
        merged.update(self._link.call(self._primary.alive, dict))
        return merged


class ResilientSubscription:
    """Receives events from Redis and from this process's fallback bus."""

    def __init__(
        self,
        primary: EventBus,
        local: Subscription,
        link: Link,
        remote: Subscription | None,
    ) -> None:
        self._primary, self._local, self._link = primary, local, link
        self._remote = remote

    def get(self, timeout: float) -> LiveEvent | None:
        deadline = time.monotonic() + timeout
        while True:
            event = self._local.get(0)
            if event is not None:
                return event
            remaining = max(0.0, deadline - time.monotonic())
            step = min(remaining, POLL_S)
            event = self._link.call(
                partial(self._remote_get, step), partial(self._local.get, step)
            )
            if event is not None or remaining <= 0:
                return event

    def close(self) -> None:
        self._local.close()
        self._drop_remote()

    def _remote_get(self, timeout: float) -> LiveEvent | None:
        try:
            return self._remote_once(timeout)
        except QueueUnavailable:
            # A connection from before a Redis restart fails once; a new one tells.
            return self._remote_once(timeout)

    def _remote_once(self, timeout: float) -> LiveEvent | None:
        if self._remote is None:
            self._remote = self._primary.subscribe()
        try:
            return self._remote.get(timeout)
        except QueueUnavailable:
            self._drop_remote()
            raise

    def _drop_remote(self) -> None:
        if self._remote is not None:
            self._remote.close()
            self._remote = None


class ResilientEventBus:
    def __init__(self, primary: EventBus, fallback: EventBus, link: Link) -> None:
        self._primary, self._fallback, self._link = primary, fallback, link

    def publish(self, event: LiveEvent) -> None:
        self._link.call(
            lambda: self._primary.publish(event),
            lambda: self._fallback.publish(event),
        )

    def subscribe(self) -> ResilientSubscription:
        local = self._fallback.subscribe()
        # Subscribe to Redis now, so events published from here on are seen.
        remote = self._link.call(self._primary.subscribe, lambda: None)
        return ResilientSubscription(self._primary, local, self._link, remote)


def resilient_backend(
    primary: QueueBackend,
    fallback: QueueBackend,
    clock: Clock,
    *,
    first_retry_s: float = 1.0,
    max_retry_s: float = 60.0,
) -> QueueBackend:
    """``primary``'s services, each falling back to ``fallback``'s through one Link."""
    link = Link(clock, first_retry_s=first_retry_s, max_retry_s=max_retry_s)
    return QueueBackend(
        kind=primary.kind,
        work_queue=ResilientWorkQueue(primary.work_queue, fallback.work_queue, link),
        cache=ResilientCache(primary.cache, fallback.cache, link),
        events=ResilientEventBus(primary.events, fallback.events, link),
        heartbeats=ResilientHeartbeats(primary.heartbeats, fallback.heartbeats, link),
        is_degraded=lambda: link.degraded,
        closer=primary.close,
    )
