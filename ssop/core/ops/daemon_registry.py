"""The daemon registry: who is running, where, and when each was last seen."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine

from ssop.core.clock import Clock
from ssop.core.config.schema import AppSection
from ssop.core.models import DaemonRecord
from ssop.core.store.daemon_repo import DaemonRepo
from ssop.core.store.db import SessionFactory, translate_errors

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 15.0


def stale_after_s(app: AppSection) -> float:
    """Heartbeat age after which a running daemon counts as stale.

    Three crawl periods, but never less than three heartbeats: a fast crawl
    setting must not make every healthy daemon look stale.
    """
    return 3.0 * max(float(app.crawler_delay), HEARTBEAT_INTERVAL_S)


class DaemonState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    # A newer daemon on the same host found this one silent: it died without stopping.
    LOST = "lost"


@dataclass(frozen=True)
class DaemonInfo:
    """One daemon as the registry last heard of it."""

    id: str
    hostname: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    last_crawl_at: datetime | None
    last_analysis_at: datetime | None
    status: DaemonState
    errors: int
    info: Mapping[str, Any] = field(default_factory=dict)

    def age_s(self, now: datetime) -> float:
        """Seconds since the last heartbeat."""
        return (now - self.last_seen_at).total_seconds()

    def is_stale(self, now: datetime, max_age_s: float) -> bool:
        """A running daemon whose heartbeat is older than ``max_age_s``."""
        return self.status is DaemonState.RUNNING and self.age_s(now) > max_age_s


def new_daemon_id(hostname: str | None = None, pid: int | None = None) -> str:
    """``hostname:pid:random``: unique even when a pid is reused after a reboot."""
    host = hostname or socket.gethostname()
    return f"{host}:{pid or os.getpid()}:{secrets.token_hex(4)}"


def _info(row: DaemonRecord) -> DaemonInfo:
    return DaemonInfo(
        id=row.id,
        hostname=row.hostname,
        pid=row.pid,
        started_at=row.started_at,
        last_seen_at=row.last_seen_at,
        last_crawl_at=row.last_crawl_at,
        last_analysis_at=row.last_analysis_at,
        status=DaemonState(row.status),
        errors=row.errors,
        info=dict(row.info),
    )


class DaemonRegistry:
    """Heartbeat records of daemons, shared by every daemon on one store."""

    def __init__(self, engine: Engine, sessions: SessionFactory, clock: Clock) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock

    def register(
        self,
        daemon_id: str,
        *,
        info: Mapping[str, Any] | None = None,
        lost_after_s: float = 180.0,
    ) -> DaemonInfo:
        """Record a starting daemon; silent ones on the same host become lost.

        Raises:
            StoreError: the database failed.
        """
        hostname, pid = _split_id(daemon_id)
        now = self.clock.now()
        row = DaemonRecord(
            id=daemon_id,
            hostname=hostname,
            pid=pid,
            started_at=now,
            last_seen_at=now,
            info=dict(info or {}),
        )
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            repo = DaemonRepo(s)
            lost = repo.mark_lost(hostname, now - timedelta(seconds=lost_after_s))
            repo.add(row)
            result = _info(row)
        if lost:
            log.warning(
                "daemon %s: marked %d silent daemon(s) on %s lost",
                daemon_id,
                lost,
                hostname,
            )
        return result

    def beat(
        self,
        daemon_id: str,
        *,
        errors: int,
        last_crawl_at: datetime | None = None,
        last_analysis_at: datetime | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        """Refresh a daemon's row; a row deleted meanwhile is written again.

        Raises:
            StoreError: the database failed.
        """
        values: dict[str, Any] = {
            "last_seen_at": self.clock.now(),
            "errors": errors,
            "status": DaemonState.RUNNING.value,
        }
        if last_crawl_at is not None:
            values["last_crawl_at"] = last_crawl_at
        if last_analysis_at is not None:
            values["last_analysis_at"] = last_analysis_at
        if info is not None:
            values["info"] = dict(info)
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            repo = DaemonRepo(s)
            if not repo.update(daemon_id, **values):
                hostname, pid = _split_id(daemon_id)
                repo.add(
                    DaemonRecord(id=daemon_id, hostname=hostname, pid=pid, **values)
                )

    def stop(self, daemon_id: str) -> None:
        """Mark a daemon stopped (a clean exit).

        Raises:
            StoreError: the database failed.
        """
        values = {"status": DaemonState.STOPPED.value, "last_seen_at": self.clock.now()}
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            DaemonRepo(s).update(daemon_id, **values)

    def prune(self, days: int) -> int:
        """Forget daemons not seen for ``days`` (a live one beats every 15 s).

        Raises:
            StoreError: the database failed.
        """
        cutoff = self.clock.now() - timedelta(days=days)
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            return DaemonRepo(s).delete_unseen(cutoff)

    def list(self) -> tuple[DaemonInfo, ...]:
        """Every daemon ever registered and not cleaned up, by host then start.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.engine), self.sessions() as s:
            return tuple(_info(row) for row in DaemonRepo(s).all())


def _split_id(daemon_id: str) -> tuple[str, int]:
    hostname, pid, _rand = daemon_id.rsplit(":", 2)
    return hostname, int(pid)
