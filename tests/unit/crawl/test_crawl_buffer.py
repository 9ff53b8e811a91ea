"""The crawl buffer keeps results through a store outage, within its limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ssop.core.crawl.buffer import FLUSH_CHUNK, CrawlBuffer, HostRecord
from ssop.core.crawl.parse import Cause
from ssop.core.errors import StoreError, StoreUnreachable

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def record(name: str, ok: bool = True) -> HostRecord:
    if ok:
        return HostRecord(name, AT, 0.1, "d", values={"cpu_percent": 1.0})
    return HostRecord(name, AT, 0.1, "d", cause=Cause.TIMEOUT, message="slow")


class Store:
    """Keeps what it is given; refuses while ``down`` or after ``fail_after`` writes."""

    def __init__(self) -> None:
        self.rows: list[HostRecord] = []
        self.down = False
        self.fail_after: int | None = None
        self.calls = 0

    def write(self, records: Sequence[HostRecord]) -> list[int | None]:
        self.calls += 1
        if self.down or (self.fail_after is not None and self.calls > self.fail_after):
            raise StoreUnreachable("cannot reach the database")
        start = len(self.rows)
        self.rows.extend(records)
        return [start + i + 1 if r.ok else None for i, r in enumerate(records)]


def test_flush_writes_everything_in_order_with_ids() -> None:
    store, buffer = Store(), CrawlBuffer(10)
    buffer.add([record("a"), record("b", ok=False), record("c")])
    result = buffer.flush(store.write)
    assert [s.record.server for s in result.stored] == ["a", "b", "c"]
    assert [s.sample_id for s in result.stored] == [1, None, 3]
    assert result.error is None and result.pending == 0 and len(buffer) == 0


def test_an_outage_keeps_records_until_the_store_returns() -> None:
    store, buffer = Store(), CrawlBuffer(10)
    store.down = True
    buffer.add([record("a")])
    first = buffer.flush(store.write)
    assert isinstance(first.error, StoreError) and first.stored == ()
    buffer.add([record("b")])
    assert buffer.flush(store.write).pending == 2
    store.down = False
    result = buffer.flush(store.write)
    assert [s.record.server for s in result.stored] == ["a", "b"]
    assert [r.server for r in store.rows] == ["a", "b"] and buffer.dropped == 0


def test_a_full_buffer_drops_the_oldest_and_counts_them() -> None:
    store, buffer = Store(), CrawlBuffer(3)
    store.down = True
    for name in "abcde":
        buffer.add([record(name)])
        buffer.flush(store.write)
    assert len(buffer) == 3 and buffer.dropped == 2
    store.down = False
    buffer.flush(store.write)
    assert [r.server for r in store.rows] == ["c", "d", "e"]


def test_a_zero_limit_keeps_nothing_after_a_failed_flush() -> None:
    store, buffer = Store(), CrawlBuffer(0)
    store.down = True
    buffer.add([record("a"), record("b")])
    assert buffer.flush(store.write).pending == 0
    assert buffer.dropped == 2


def test_chunks_already_written_stay_written_when_a_later_one_fails() -> None:
    store, buffer = Store(), CrawlBuffer(10 * FLUSH_CHUNK)
    store.fail_after = 1
    buffer.add(record(f"s{i}") for i in range(FLUSH_CHUNK + 5))
    result = buffer.flush(store.write)
    assert len(result.stored) == FLUSH_CHUNK and result.pending == 5
    assert result.error is not None
    store.fail_after = None
    assert len(buffer.flush(store.write).stored) == 5
    assert len(store.rows) == FLUSH_CHUNK + 5
