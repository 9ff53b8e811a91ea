"""The queue layer's ports: the values it carries and the four interfaces.

The database is the source of truth. The work queue carries *references*
(``CrawlNotice``) to readings already stored, so losing Redis never loses data;
the cache and the event bus are conveniences for the dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ssop.core.errors import InvalidInput

LATEST_TTL_S = 600
# Server names and daemon ids become Redis key suffixes and SCAN matches them.
_NAME = re.compile(r"[^\s*?\[\]\\]{1,255}")


def check_name(kind: str, value: str) -> str:
    """Return ``value`` if usable as a key suffix, else raise InvalidInput."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidInput(f"{kind} {value!r}: 1-255 characters, no spaces or *?[]\\")
    return value


def check_aware(kind: str, at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput(f"{kind}: timestamp {at.isoformat()} has no time zone")


@dataclass(frozen=True)
class CrawlNotice:
    """A crawl stored a reading: which server, which row, when, and whether it worked.

    ``digest`` lets the analysis step skip a reading it has already seen, since
    delivery is at least once.
    """

    server: str
    sample_id: int | None
    at: datetime
    ok: bool
    digest: str

    def __post_init__(self) -> None:
        check_name("server", self.server)
        check_aware("crawl notice", self.at)


@dataclass(frozen=True)
class Delivery:
    """One notice handed to one consumer; ack it once its result is stored."""

    id: str
    notice: CrawlNotice


@dataclass(frozen=True)
class LiveEvent:
    """A live event for the dashboard (``crawl.done``, ``state.changed`` ...)."""

    kind: str
    server: str | None
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kind:
            raise InvalidInput("event kind is empty")
        check_aware(f"event {self.kind}", self.at)


class WorkQueue(Protocol):
    """Crawl notices waiting for the analysis step, consumed through one group.

    Every consumer (one name per daemon) gets entries no other consumer holds.
    An entry stays pending until acknowledged; an entry pending longer than the
    queue's ``min_idle_s`` is handed again to the next consumer that claims.
    Delivery is therefore at least once.
    """

    def publish(self, notice: CrawlNotice) -> None:
        """Append ``notice``. Raises: QueueUnavailable."""
        ...

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[Delivery]:
        """Up to ``count`` deliveries: stale pending entries first, then new ones.

        ``block_ms`` > 0 waits that long for new entries when there are none.
        Raises: QueueUnavailable, InvalidInput (bad consumer name or count).
        """
        ...

    def ack(self, delivery: Delivery) -> None:
        """Mark ``delivery`` done; acking twice or an unknown id does nothing.

        Raises: QueueUnavailable.
        """
        ...

    def pending_count(self) -> int:
        """Entries published and not yet acknowledged. Raises: QueueUnavailable."""
        ...


class LatestCache(Protocol):
    """The latest readings per server, each entry expiring after its TTL."""

    def put(self, server: str, readings: Mapping[str, Any], ttl: int = 600) -> None:
        """Store a JSON-able copy of ``readings``.

        Raises: QueueUnavailable, InvalidInput.
        """
        ...

    def get(self, server: str) -> dict[str, Any] | None:
        """The cached readings, or None when absent or expired.

        Raises: QueueUnavailable.
        """
        ...

    def all(self) -> dict[str, dict[str, Any]]:
        """Every unexpired entry by server name. Raises: QueueUnavailable."""
        ...


class Subscription(Protocol):
    def get(self, timeout: float) -> LiveEvent | None:
        """The next event, or None after ``timeout`` seconds.

        Raises: QueueUnavailable.
        """
        ...

    def close(self) -> None: ...


class EventBus(Protocol):
    """Fire-and-forget live events: only subscribers present at publish see them."""

    def publish(self, event: LiveEvent) -> None:
        """Send ``event`` (its data must be JSON-able).

        Raises: QueueUnavailable, InvalidInput.
        """
        ...

    def subscribe(self) -> Subscription:
        """A subscription that is active when this returns. Raises: QueueUnavailable."""
        ...


class Heartbeats(Protocol):
    """Which daemons are alive: each beat is valid for its own TTL."""

    def beat(self, daemon_id: str, info: Mapping[str, Any], ttl_s: float) -> None:
        """Record that ``daemon_id`` is alive.

        Raises: QueueUnavailable, InvalidInput.
        """
        ...

    def alive(self) -> dict[str, dict[str, Any]]:
        """Info of every daemon whose last beat has not expired.

        Raises: QueueUnavailable.
        """
        ...


@dataclass(frozen=True)
class QueueBackend:
    """The four queue services of one process, and where they live."""

    kind: str  # "redis" or "memory"
    work_queue: WorkQueue
    cache: LatestCache
    events: EventBus
    heartbeats: Heartbeats
    is_degraded: Callable[[], bool] = lambda: False
    closer: Callable[[], None] = lambda: None

    @property
    def degraded(self) -> bool:
        """True while Redis is configured but unreachable (in-process fallback)."""
        return self.is_degraded()

    def close(self) -> None:
        self.closer()
