"""The daemon registry: who is running, where, and when each was last seen.

Daemons started together on one database meet in the same rows (a new one
marks the silent ones of its host lost), so every write here is a
``retrying_transaction``: a deadlock or lock wait costs a retry, not a daemon.
Registering twice with one id (a retry after a lost reply) updates the row.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.clock import Clock
from ssop.core.config.schema import AppSection
from ssop.core.models import DaemonRecord
from ssop.core.store.daemon_repo import DaemonRepo
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.retry import retrying_transaction

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 10.0
STALL_MIN_S = 60.0
T = TypeVar("T")


def stale_after_s(app: AppSection) -> float:
    """Heartbeat age after which a running daemon counts as stale.

    Three crawl periods, but never less than three heartbeats: a fast crawl
    setting must not make every healthy daemon look stale.
    """
    return 3.0 * max(float(app.crawler_delay), HEARTBEAT_INTERVAL_S)


def stall_after_s(app: AppSection) -> float:
    """How long one run of a daemon step may last before it counts as stalled.

    One crawl period, but at least a minute. Every step is meant to finish
    well within a crawl period: one that runs longer is waiting on something
    that hangs, and on the main lane the crawl waits behind it.
    """
    return max(float(app.crawler_delay), STALL_MIN_S)


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
        values: dict[str, Any] = {
            "hostname": hostname,
            "pid": pid,
            "started_at": now,
            "last_seen_at": now,
            "status": DaemonState.RUNNING.value,
            "info": dict(info or {}),
        }
        before = now - timedelta(seconds=lost_after_s)

        def write(s: Session) -> tuple[int, DaemonInfo]:
            repo = DaemonRepo(s)
            lost = repo.mark_lost(hostname, before)
            _upsert(repo, daemon_id, values)
            row = repo.get(daemon_id)
            assert row is not None
            return lost, _info(row)

        lost, result = self._write(write, f"registration of {daemon_id}")
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
        hostname, pid = _split_id(daemon_id)
        values.update(hostname=hostname, pid=pid)
        self._write(
            lambda s: _upsert(DaemonRepo(s), daemon_id, values),
            f"heartbeat of {daemon_id}",
        )

    def stop(self, daemon_id: str) -> None:
        """Mark a daemon stopped (a clean exit).

        Raises:
            StoreError: the database failed.
        """
        values = {"status": DaemonState.STOPPED.value, "last_seen_at": self.clock.now()}
        self._write(
            lambda s: DaemonRepo(s).update(daemon_id, **values),
            f"stop of {daemon_id}",
        )

    def prune(self, days: int) -> int:
        """Forget daemons not seen for ``days`` (a live one beats every 10 s).

        Raises:
            StoreError: the database failed.
        """
        cutoff = self.clock.now() - timedelta(days=days)
        return self._write(
            lambda s: DaemonRepo(s).delete_unseen(cutoff), "prune of daemons"
        )

    def list(self) -> tuple[DaemonInfo, ...]:
        """Every daemon ever registered and not cleaned up, by host then start.

        Raises:
            StoreError: the database failed.
        """
        with translate_errors(self.engine), self.sessions() as s:
            return tuple(_info(row) for row in DaemonRepo(s).all())

    def _write(self, fn: Callable[[Session], T], what: str) -> T:
        with translate_errors(self.engine):
            return retrying_transaction(self.sessions, fn, clock=self.clock, what=what)


def _upsert(repo: DaemonRepo, daemon_id: str, values: Mapping[str, Any]) -> None:
    """Update the row, or write it when it is missing (deleted, or never written)."""
    if not repo.update(daemon_id, **values):
        repo.add(DaemonRecord(id=daemon_id, **values))


def _split_id(daemon_id: str) -> tuple[str, int]:
    hostname, pid, _rand = daemon_id.rsplit(":", 2)
    return hostname, int(pid)
