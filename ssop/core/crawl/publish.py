"""Tell the rest of ssop about stored crawl results: cache, work queue, events.

Everything here is a convenience on top of the database: a failure to
publish is logged (once per batch) and never fails the crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ssop.core.crawl.buffer import Stored
from ssop.core.errors import SsopError
from ssop.core.queue.base import LATEST_TTL_S, CrawlNotice, LiveEvent, QueueBackend

log = logging.getLogger(__name__)

CRAWL_DONE = "crawl.done"


def cache_entry(stored: Stored) -> dict[str, Any]:
    """The latest-readings cache entry of a stored sample."""
    record = stored.record
    return {
        "server": record.server,
        "at": record.at.isoformat(),
        "sample_id": stored.sample_id,
        "duration_s": record.duration_s,
        **(record.values or {}),
    }


def event_data(stored: Stored) -> dict[str, Any]:
    record = stored.record
    data: dict[str, Any] = {
        "ok": record.ok,
        "sample_id": stored.sample_id,
        "duration_s": round(record.duration_s, 3),
        "digest": record.digest,
    }
    if record.cause is not None:
        data.update(cause=record.cause.value, message=record.message)
    return data


class CrawlPublisher:
    def __init__(self, queue: QueueBackend) -> None:
        self.queue = queue

    def publish(self, batch: Sequence[Stored]) -> int:
        """Publish each stored result; returns how many publishes failed."""
        failures: list[SsopError] = []
        for stored in batch:
            failures.extend(self._one(stored))
        if failures:
            log.warning(
                "crawl: %d publish(es) to the %s queue failed; the readings are "
                "stored: %s",
                len(failures),
                self.queue.kind,
                failures[0].message,
            )
        return len(failures)

    def _one(self, stored: Stored) -> list[SsopError]:
        calls = [self._notice, self._event]
        if stored.record.values is not None:
            calls.insert(0, self._cache)
        return [e for e in (_attempt(call, stored) for call in calls) if e]

    def _cache(self, stored: Stored) -> None:
        entry = cache_entry(stored)
        self.queue.cache.put(stored.record.server, entry, ttl=LATEST_TTL_S)

    def _notice(self, stored: Stored) -> None:
        r = stored.record
        notice = CrawlNotice(r.server, stored.sample_id, r.at, r.ok, r.digest)
        self.queue.work_queue.publish(notice)

    def _event(self, stored: Stored) -> None:
        r = stored.record
        self.queue.events.publish(
            LiveEvent(CRAWL_DONE, r.server, r.at, event_data(stored))
        )


def _attempt(call: Callable[[Stored], None], stored: Stored) -> SsopError | None:
    try:
        call(stored)
    except SsopError as e:  # QueueUnavailable, or InvalidInput for an odd name
        return e
    return None
