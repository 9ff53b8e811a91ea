"""Which daemons are live members of the fleet's crawl, from Redis and the store.

Each daemon beats into both: the Redis key ``ssop:daemon:<id>`` expires by
itself when the daemon dies, and the daemon's registry row is refreshed with
its ``last_seen_at``. A member is live when either source vouches for it, so
a Redis restarted empty (no keys) is rebuilt from the store at once, and a
store outage leaves Redis to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssop.core.accounts.auth import AuthService
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.clock import Clock
from ssop.core.errors import QueueUnavailable, StoreError
from ssop.core.ops.daemon_registry import (
    HEARTBEAT_INTERVAL_S,
    DaemonInfo,
    DaemonRegistry,
    DaemonState,
)
from ssop.core.queue.base import Heartbeats

log = logging.getLogger(__name__)

EXPIRY_BEATS = 3
"""A member missing this many heartbeats in a row is no longer live."""


def member_expiry_s(heartbeat_s: float = HEARTBEAT_INTERVAL_S) -> float:
    return EXPIRY_BEATS * heartbeat_s


@dataclass(frozen=True)
class Member:
    """One daemon as ``ssop daemon list`` shows it."""

    id: str
    hostname: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    last_crawl_at: datetime | None
    crawled_last_interval: int | None
    connections: int | None
    status: str
    live: bool


def _member(d: DaemonInfo, live: set[str]) -> Member:
    info: dict[str, Any] = dict(d.info)
    crawled = info.get("crawled_last_interval")
    connections = info.get("connections")
    return Member(
        id=d.id,
        hostname=d.hostname,
        pid=d.pid,
        started_at=d.started_at,
        last_seen_at=d.last_seen_at,
        last_crawl_at=d.last_crawl_at,
        crawled_last_interval=crawled if isinstance(crawled, int) else None,
        connections=connections if isinstance(connections, int) else None,
        status=d.status.value,
        live=d.id in live,
    )


class Membership:
    def __init__(
        self,
        registry: DaemonRegistry,
        heartbeats: Callable[[], Heartbeats],
        clock: Clock,
        expiry_s: float = member_expiry_s(),
        auth: AuthService | None = None,
    ) -> None:
        self.auth = auth
        self.registry = registry
        self.heartbeats = heartbeats
        self.clock = clock
        self.expiry_s = expiry_s

    def live(self) -> set[str]:
        """Ids of every live daemon (an empty set when neither source answers)."""
        ids: set[str] = set()
        try:
            ids |= set(self.heartbeats().alive())
        except QueueUnavailable as e:
            log.warning(
                "membership: redis unavailable, the store decides: %s", e.message
            )
        try:
            ids |= {d.id for d in self.live_in_store()}
        except StoreError as e:
            log.warning("membership: store unavailable, redis decides: %s", e.message)
        return ids

    def live_in_store(self) -> list[DaemonInfo]:
        now = self.clock.now()
        return [
            d
            for d in self.registry.list()
            if d.status is DaemonState.RUNNING and d.age_s(now) <= self.expiry_s
        ]

    def list(self, who: Principal) -> list[Member]:
        """Every registered daemon, live members first (needs reports.read).

        Raises:
            PermissionDenied: the caller lacks reports.read.
            StoreError: the registry could not be read.
        """
        if self.auth is not None:
            self.auth.require(who, Capability.REPORTS_READ)
        live = self.live()
        members = [_member(d, live) for d in self.registry.list()]
        return sorted(members, key=lambda m: (not m.live, m.hostname, m.started_at))
