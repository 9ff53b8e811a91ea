"""Notices this process put on the Redis stream that are not known to be done.

Redis here keeps nothing on disk, so a restart loses the stream. The journal
lets the publisher put back what was lost; it forgets an entry once it is
acknowledged by this process, or once the consumer group's state proves that
some consumer acknowledged it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from ssop.core.queue.base import CrawlNotice

log = logging.getLogger(__name__)


def stream_id_key(entry_id: str) -> tuple[int, int]:
    """Order stream ids (``<ms>-<seq>``) numerically."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class Journal:
    """Ordered ``entry id -> notice``; when over ``cap`` the oldest are forgotten."""

    def __init__(self, cap: int = 10_000) -> None:
        self._cap = cap
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, CrawlNotice] = OrderedDict()
        self._overflowing = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def add(self, entry_id: str, notice: CrawlNotice) -> None:
        with self._lock:
            self._entries[entry_id] = notice
            if len(self._entries) <= self._cap:
                self._overflowing = False
                return
            self._entries.popitem(last=False)
            if not self._overflowing:
                log.warning(
                    "redis journal: over %d entries, forgetting the oldest", self._cap
                )
                self._overflowing = True

    def discard(self, entry_id: str) -> None:
        with self._lock:
            self._entries.pop(entry_id, None)

    def prune(self, last_delivered: str, oldest_pending: str | None) -> int:
        """Forget entries the group has delivered and no longer holds pending.

        Returns:
            How many entries were forgotten.
        """
        limit = stream_id_key(last_delivered)
        if oldest_pending is not None:
            # Entries at or after the oldest pending one may still be pending.
            limit = min(limit, _just_before(stream_id_key(oldest_pending)))
        with self._lock:
            done = [i for i in self._entries if stream_id_key(i) <= limit]
            for entry_id in done:
                del self._entries[entry_id]
        return len(done)

    def items(self) -> list[tuple[str, CrawlNotice]]:
        """A snapshot of ``(entry id, notice)``, oldest first."""
        with self._lock:
            return list(self._entries.items())


def _just_before(key: tuple[int, int]) -> tuple[int, int]:
    ms, seq = key
    return (ms, seq - 1) if seq > 0 else (ms - 1, 2**64 - 1)
