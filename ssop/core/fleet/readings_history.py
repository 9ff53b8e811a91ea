"""Readings over time: one server's over a window, thinned to a chartable
number of points, and every server's last few CPU readings (sparklines)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import refusals_audited
from ssop.core.clock import Clock
from ssop.core.store.db import SessionFactory
from ssop.core.store.metric_repo import MetricRepo
from ssop.core.store.server_repo import ServerRepo

MAX_POINTS = 240
RECENT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ReadingPoint:
    at: datetime
    cpu_percent: float | None
    memory_percent: float | None
    disk_max_percent: float | None
    load1: float | None


class ReadingsHistoryService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("readings.history", "{server}")
    def series(
        self, who: Principal, server: str, window: timedelta
    ) -> tuple[ReadingPoint, ...]:
        """The server's readings of the last ``window``, oldest first, at most
        MAX_POINTS (evenly thinned).

        Raises:
            NotFound: no such server.
            PermissionDenied: the caller lacks servers.read.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.SERVERS_READ)
            ServerRepo(s).get(server)
            rows = MetricRepo(s).history(server, now - window)
            points = [
                ReadingPoint(
                    r.at, r.cpu_percent, r.memory_percent, r.disk_max_percent, r.load1
                )
                for r in rows
            ]
        step = max(1, -(-len(points) // MAX_POINTS))
        return tuple(points[::step])

    @refusals_audited("readings.recent_cpu", "fleet")
    def recent_cpu(self, who: Principal, points: int) -> dict[str, tuple[float, ...]]:
        """Each server's last ``points`` CPU readings of the last hour, oldest
        first, by server name (servers without any are left out).

        Raises:
            PermissionDenied: the caller lacks servers.read.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.SERVERS_READ)
            recent = MetricRepo(s).recent_cpu(now - RECENT_WINDOW, points)
        return {name: tuple(values) for name, values in recent.items()}
