"""In-process queue services: the backend without Redis, and Redis's fallback.

They keep the semantics of the Redis backend (pending entries, re-delivery
after ``min_idle_s``, TTLs, JSON copies) so one contract suite covers both.
Time comes from the injected Clock; all state is guarded by a lock.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ssop.core.clock import Clock
from ssop.core.errors import InvalidInput
from ssop.core.queue.base import (
    CrawlNotice,
    Delivery,
    LiveEvent,
    QueueBackend,
    check_name,
)
from ssop.core.queue.codec import dump_json, event_from_json, event_json, load_json

log = logging.getLogger(__name__)

MEMORY_ID_PREFIX = "mem-"
SUBSCRIBER_BUFFER = 1000


def check_claim(consumer: str, count: int) -> None:
    check_name("consumer", consumer)
    if count < 1:
        raise InvalidInput(f"claim count must be at least 1, got {count}")


@dataclass
class _Pending:
    delivery: Delivery
    consumer: str
    since: float


class MemoryWorkQueue:
    """A work queue held in this process; ids start with ``mem-``."""

    def __init__(
        self, clock: Clock, *, min_idle_s: float = 120.0, maxlen: int = 100_000
    ) -> None:
        self._clock = clock
        self.min_idle_s = min_idle_s
        self._maxlen = maxlen
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._waiting: deque[Delivery] = deque()
        self._pending: OrderedDict[str, _Pending] = OrderedDict()

    def publish(self, notice: CrawlNotice) -> None:
        with self._cond:
            if len(self._waiting) >= self._maxlen:
                dropped = self._waiting.popleft()
                log.warning("in-process queue: full, dropped notice %s", dropped.id)
            self._waiting.append(
                Delivery(f"{MEMORY_ID_PREFIX}{next(self._ids)}", notice)
            )
            self._cond.notify()

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[Delivery]:
        check_claim(consumer, count)
        with self._cond:
            out = self._reclaim(consumer, count)
            if not out and block_ms > 0:
                self._cond.wait_for(lambda: bool(self._waiting), block_ms / 1000)
            while self._waiting and len(out) < count:
                out.append(self._hand_out(self._waiting.popleft(), consumer))
            return out

    def ack(self, delivery: Delivery) -> None:
        with self._cond:
            self._pending.pop(delivery.id, None)

    def pending_count(self) -> int:
        with self._cond:
            return len(self._waiting) + len(self._pending)

    def _reclaim(self, consumer: str, count: int) -> list[Delivery]:
        now = self._clock.monotonic()
        stale = [
            p.delivery
            for p in self._pending.values()
            if now - p.since >= self.min_idle_s
        ][:count]
        for delivery in stale:
            del self._pending[delivery.id]
            self._hand_out(delivery, consumer)
        return stale

    def _hand_out(self, delivery: Delivery, consumer: str) -> Delivery:
        self._pending[delivery.id] = _Pending(
            delivery, consumer, self._clock.monotonic()
        )
        return delivery


class _Expiring:
    """A dict of JSON texts whose entries expire on the injected clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, tuple[str, float]] = {}

    def put(self, key: str, text: str, ttl_s: float) -> None:
        with self._lock:
            self._items[key] = (text, self._clock.monotonic() + ttl_s)

    def items(self) -> dict[str, dict[str, Any]]:
        now = self._clock.monotonic()
        with self._lock:
            for key in [k for k, (_, end) in self._items.items() if end <= now]:
                del self._items[key]
            live = {k: text for k, (text, _) in self._items.items()}
        return {k: load_json(text) for k, text in live.items()}


class MemoryCache:
    def __init__(self, clock: Clock) -> None:
        self._entries = _Expiring(clock)

    def put(self, server: str, readings: Mapping[str, Any], ttl: int = 600) -> None:
        check_name("server", server)
        self._entries.put(server, dump_json(f"readings of {server}", readings), ttl)

    def get(self, server: str) -> dict[str, Any] | None:
        return self._entries.items().get(server)

    def all(self) -> dict[str, dict[str, Any]]:
        return self._entries.items()


class MemoryHeartbeats:
    def __init__(self, clock: Clock) -> None:
        self._entries = _Expiring(clock)

    def beat(self, daemon_id: str, info: Mapping[str, Any], ttl_s: float) -> None:
        check_name("daemon id", daemon_id)
        self._entries.put(daemon_id, dump_json(f"info of {daemon_id}", info), ttl_s)

    def alive(self) -> dict[str, dict[str, Any]]:
        return self._entries.items()


class MemorySubscription:
    def __init__(self, bus: MemoryEventBus) -> None:
        self._bus = bus
        self.inbox: queue.Queue[str] = queue.Queue(maxsize=SUBSCRIBER_BUFFER)

    def get(self, timeout: float) -> LiveEvent | None:
        try:
            text = (
                self.inbox.get(timeout=timeout)
                if timeout > 0
                else self.inbox.get_nowait()
            )
        except queue.Empty:
            return None
        return event_from_json(text)

    def close(self) -> None:
        self._bus.drop(self)


class MemoryEventBus:
    """Events to the subscribers of this process; a slow subscriber loses the newest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[MemorySubscription] = []

    def publish(self, event: LiveEvent) -> None:
        text = event_json(event)
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.inbox.put_nowait(text)
            except queue.Full:
                log.debug("event bus: subscriber full, dropped %s", event.kind)

    def subscribe(self) -> MemorySubscription:
        sub = MemorySubscription(self)
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def drop(self, sub: MemorySubscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)


def memory_backend(
    clock: Clock, *, min_idle_s: float = 120.0, maxlen: int = 100_000
) -> QueueBackend:
    """All four services in this process."""
    return QueueBackend(
        kind="memory",
        work_queue=MemoryWorkQueue(clock, min_idle_s=min_idle_s, maxlen=maxlen),
        cache=MemoryCache(clock),
        events=MemoryEventBus(),
        heartbeats=MemoryHeartbeats(clock),
    )
