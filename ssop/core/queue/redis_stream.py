"""The crawl stream on Redis, consumed through one consumer group.

XADD with an approximate MAXLEN, XREADGROUP for new entries, XAUTOCLAIM for
entries left pending too long by a consumer that died, XACK when done.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from ssop.core.clock import Clock
from ssop.core.queue.base import CrawlNotice, Delivery
from ssop.core.queue.codec import Malformed, notice_fields, notice_from_fields
from ssop.core.queue.journal import Journal
from ssop.core.queue.memory import check_claim
from ssop.core.queue.redis_conn import (
    DEFAULT_KEYS,
    Keys,
    as_text,
    unavailable_on_error,
)

log = logging.getLogger(__name__)

GROUP = "analysis"
# A blocking read must return before the socket times out.
MAX_BLOCK_MS = 5_000
Entries = list[tuple[str, dict[str, str] | None]]


class RedisWorkQueue:
    """The crawl stream, consumed through one consumer group.

    Also re-publishes the notices of its journal when Redis lost them (checked
    through Redis's run id every ``reconcile_every_s`` and on a missing group).
    """

    def __init__(
        self,
        client: redis.Redis,
        clock: Clock,
        *,
        keys: Keys = DEFAULT_KEYS,
        min_idle_s: float = 120.0,
        maxlen: int = 100_000,
        journal_cap: int = 10_000,
        reconcile_every_s: float = 30.0,
        max_block_ms: int = MAX_BLOCK_MS,
    ) -> None:
        self._r = client
        self._clock = clock
        self._stream = keys.stream
        self.min_idle_s = min_idle_s
        self._maxlen = maxlen
        self._journal = Journal(journal_cap)
        self._every = reconcile_every_s
        self._next_reconcile = float("-inf")
        self._run_id: str | None = None
        self._max_block_ms = max(1, max_block_ms)

    @property
    def journal_size(self) -> int:
        return len(self._journal)

    def publish(self, notice: CrawlNotice) -> None:
        with unavailable_on_error("publish to the crawl stream"):
            self._reconcile_when_due()
            entry_id = self._r.xadd(
                self._stream,
                _fields(notice),
                maxlen=self._maxlen,
                approximate=True,
            )
        self._journal.add(as_text(entry_id), notice)

    def claim(self, consumer: str, count: int, block_ms: int = 0) -> list[Delivery]:
        check_claim(consumer, count)
        with unavailable_on_error("claim from the crawl stream"):
            self._reconcile_when_due()
            try:
                return self._claim(consumer, count, block_ms)
            except redis.ResponseError as e:
                if not str(e).startswith("NOGROUP"):
                    raise
            self._reconcile(lost=True)
            return self._claim(consumer, count, block_ms)

    def ack(self, delivery: Delivery) -> None:
        self.forget(delivery)
        with unavailable_on_error("acknowledge a crawl notice"):
            self._r.xack(self._stream, GROUP, delivery.id)

    def forget(self, delivery: Delivery) -> None:
        """Never re-publish ``delivery``: its result is stored, only an XACK is owed."""
        self._journal.discard(delivery.id)

    def pending_count(self) -> int:
        with unavailable_on_error("count pending crawl notices"):
            group = self._group_info()
            if group is None:
                return int(self._r.xlen(self._stream))
            lag = group["lag"]
            if lag is None:  # unknown after deletions inside the stream
                lag = len(
                    self._r.xrange(self._stream, f"({group['last-delivered-id']}", "+")
                    or []
                )
            return int(group["pending"]) + int(lag)

    def reconcile(self) -> None:
        """Check whether Redis lost the stream, restore lost notices, prune the journal.

        Raises: QueueUnavailable.
        """
        with unavailable_on_error("reconcile the crawl stream"):
            self._reconcile()

    def _reconcile_when_due(self) -> None:
        if self._clock.monotonic() >= self._next_reconcile:
            self._reconcile()

    def _reconcile(self, lost: bool = False) -> None:
        # Set first, so the other publishing threads do not reconcile as well.
        self._next_reconcile = self._clock.monotonic() + self._every
        run_id = str(self._r.info("server")["run_id"])
        lost = lost or (self._run_id is not None and run_id != self._run_id)
        self._run_id = run_id
        self._create_group()
        if lost:
            self._republish()
            return
        group = self._group_info()
        if group is not None:
            oldest = self._r.xpending(self._stream, GROUP)["min"]
            self._journal.prune(group["last-delivered-id"], oldest)

    def _republish(self) -> None:
        """Put back the journal's notices that are no longer in the stream."""
        entries = self._journal.items()
        pipe = self._r.pipeline(transaction=False)
        for entry_id, _ in entries:
            pipe.xrange(self._stream, entry_id, entry_id, count=1)
        lost = [
            e for e, found in zip(entries, pipe.execute(), strict=True) if not found
        ]
        if not lost:
            return
        for entry_id, notice in lost:
            self._journal.discard(entry_id)
            pipe.xadd(
                self._stream, _fields(notice), maxlen=self._maxlen, approximate=True
            )
        for new_id, (_, notice) in zip(pipe.execute(), lost, strict=True):
            self._journal.add(as_text(new_id), notice)
        log.warning(
            "redis: crawl stream lost entries (restart?); re-published %d notices",
            len(lost),
        )

    def _create_group(self) -> None:
        try:
            # From id 0: notices published before the group existed still count.
            self._r.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as e:
            if not str(e).startswith("BUSYGROUP"):
                raise

    def _group_info(self) -> dict[str, Any] | None:
        try:
            groups = self._r.xinfo_groups(self._stream)
        except redis.ResponseError:  # no such key
            return None
        return next((g for g in groups if g["name"] == GROUP), None)

    def _claim(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        min_idle_ms = int(self.min_idle_s * 1000)
        _, stale, _ = self._r.xautoclaim(
            self._stream, GROUP, consumer, min_idle_ms, "0-0", count=count
        )
        out = self._decode(stale)
        if len(out) < count:
            block = (
                min(block_ms, self._max_block_ms) if not out and block_ms > 0 else None
            )
            reply: Any = self._r.xreadgroup(
                GROUP,
                consumer,
                {self._stream: ">"},
                count=count - len(out),
                block=block,
            )
            for _, entries in reply or []:
                out.extend(self._decode(entries))
        return out

    def _decode(self, entries: Entries) -> list[Delivery]:
        out = []
        for entry_id, fields in entries:
            if fields is None:  # trimmed while pending
                continue
            try:
                out.append(Delivery(entry_id, notice_from_fields(fields)))
            except Malformed as e:
                log.warning("crawl stream: dropping entry %s: %s", entry_id, e)
                self._r.xack(self._stream, GROUP, entry_id)
        return out


def _fields(notice: CrawlNotice) -> dict[Any, Any]:
    return dict(notice_fields(notice))
