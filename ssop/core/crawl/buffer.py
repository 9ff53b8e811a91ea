"""Crawl results waiting to be stored, held in memory while the database is away.

The crawl never stops for the store: results go into a bounded FIFO and
are written in chunks; a chunk the store refuses stays, with everything
after it, for the next flush. When the FIFO is full the oldest results are
dropped (and counted), so an outage costs bounded memory, never the crawl.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Any

from ssop.core.crawl.parse import Cause
from ssop.core.errors import StoreError

log = logging.getLogger(__name__)

FLUSH_CHUNK = 1000


@dataclass(frozen=True)
class HostRecord:
    """One server's crawl, ready to store: a sample or a failure, plus outputs."""

    server: str
    at: datetime
    duration_s: float
    digest: str
    _: KW_ONLY
    values: Mapping[str, Any] | None = None  # metric_samples columns
    cause: Cause | None = None
    message: str = ""
    outputs: tuple[Mapping[str, Any], ...] = ()  # action_outputs columns

    @property
    def ok(self) -> bool:
        """Nothing failed (a server with only custom actions has no sample)."""
        return self.cause is None


@dataclass(frozen=True)
class Stored:
    """A record now in the database, with its sample's id when it has one."""

    record: HostRecord
    sample_id: int | None


# Writes records in one transaction; returns each one's sample id (or None).
Writer = Callable[[Sequence[HostRecord]], list[int | None]]


@dataclass(frozen=True)
class FlushResult:
    stored: tuple[Stored, ...]
    pending: int
    error: StoreError | None


class CrawlBuffer:
    """A bounded FIFO of records not yet stored.

    Args:
        limit: records kept at most; 0 keeps none beyond the current flush.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._queue: deque[HostRecord] = deque()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, records: Iterable[HostRecord]) -> None:
        self._queue.extend(records)

    def flush(self, write: Writer) -> FlushResult:
        """Write pending records oldest first, in chunks, until one fails."""
        stored: list[Stored] = []
        error: StoreError | None = None
        while self._queue:
            chunk = [self._queue[i] for i in range(min(FLUSH_CHUNK, len(self._queue)))]
            try:
                ids = write(chunk)
            except StoreError as e:
                error = e
                break
            for _ in chunk:
                self._queue.popleft()
            stored.extend(Stored(r, i) for r, i in zip(chunk, ids, strict=True))
        if error is not None:
            self._trim()
        return FlushResult(tuple(stored), len(self._queue), error)

    def _trim(self) -> None:
        excess = len(self._queue) - self.limit
        if excess <= 0:
            return
        for _ in range(excess):
            self._queue.popleft()
        self.dropped += excess
        log.warning(
            "crawl buffer: store unavailable, dropped %d oldest result(s) "
            "(daemon.memory_buffer = %d)",
            excess,
            self.limit,
        )
