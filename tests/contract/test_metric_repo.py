"""The crawl history on SQLite and MariaDB: bulk writes with ids, latest per
server, time ranges, and retention that keeps the audit trail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ssop.core.errors import InvalidInput
from ssop.core.models import (
    ActionOutput,
    AuditEvent,
    CrawlError,
    ErrorEvent,
    MetricSample,
    PolicyDecision,
)
from ssop.core.ops.store_admin import StoreService
from ssop.core.store import metric_repo
from ssop.core.store.counter_repo import CRAWL_FAILURES, CounterRepo
from ssop.core.store.db import create_engine_for, session_factory
from ssop.core.store.metric_repo import MetricRepo
from tests.support import services as support

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sample(name: str, days_ago: float, **values: Any) -> dict[str, Any]:
    row = {
        "server_name": name,
        "at": NOW - timedelta(days=days_ago),
        "disks": [{"mount": "/", "percent": 50.0, "used_kb": 1, "size_kb": 2}],
        "failed_units": [],
        "top_processes": [],
        "cpu_percent": 1.5,
    }
    return {**row, **values}


def add(engine: Engine, *rows: dict[str, Any]) -> list[int]:
    with Session(engine) as s, s.begin():
        return MetricRepo(s).add_samples(list(rows))


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_bulk_insert_returns_ids_in_row_order_and_keeps_json(
    store_engine: Engine,
) -> None:
    ids = add(
        store_engine, *(sample(f"s{i}", 0, cpu_percent=float(i)) for i in range(5))
    )
    assert ids == sorted(ids) and len(set(ids)) == 5
    with Session(store_engine) as s:
        rows = {r.id: r for r in s.exec(select(MetricSample))}
    assert [rows[i].cpu_percent for i in ids] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert rows[ids[0]].disks[0]["mount"] == "/"
    assert rows[ids[0]].at == NOW


def test_latest_is_the_highest_id_per_server_even_with_an_older_time(
    store_engine: Engine,
) -> None:
    add(store_engine, sample("a", 1), sample("b", 1))
    newest_a = add(store_engine, sample("a", 3))  # the clock had jumped back
    with Session(store_engine) as s:
        latest = MetricRepo(s).latest()
        only_b = MetricRepo(s).latest(["b"])
    assert [(x.server_name, x.id) for x in latest][0] == ("a", newest_a[0])
    assert [x.server_name for x in latest] == ["a", "b"]
    assert [x.server_name for x in only_b] == ["b"]


def test_history_is_one_servers_range_oldest_first(store_engine: Engine) -> None:
    add(store_engine, sample("a", 3), sample("a", 1), sample("a", 2), sample("b", 1))
    with Session(store_engine) as s:
        rows = MetricRepo(s).history(
            "a", NOW - timedelta(days=2.5), NOW - timedelta(days=1)
        )
    assert [r.at for r in rows] == [NOW - timedelta(days=2)]


def test_prune_deletes_old_history_keeps_newest_sample_and_audit(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metric_repo, "PRUNE_BATCH", 3)  # several batches
    add(store_engine, *(sample("a", 40 + i) for i in range(7)), sample("a", 1))
    add(store_engine, sample("silent", 90), sample("silent", 60))
    old, new = NOW - timedelta(days=45), NOW - timedelta(days=2)
    with Session(store_engine) as s, s.begin():
        repo = MetricRepo(s)
        repo.add_outputs(
            [
                {
                    "server_name": "a",
                    "action_name": "x",
                    "at": t,
                    "stdout": "",
                    "stderr": "",
                }
                for t in (old, new)
            ]
        )
        repo.add_errors(
            [
                {"server_name": "a", "at": t, "cause": "timeout", "message": "m"}
                for t in (old, old, new)
            ]
        )
        s.add(AuditEvent(at=old, actor="t", event="e"))
        for t in (old, new):
            s.add(ErrorEvent(at=t, source="analysis", kind="llm_timeout"))
            s.add(
                PolicyDecision(
                    at=t,
                    server_name="a",
                    action_name="x",
                    params={},
                    params_key="k",
                    outcome="blocked",
                    gate="cooldown",
                )
            )
    store = StoreService(store_engine, session_factory(store_engine))
    counts = store.prune_counts(30, now=NOW)
    assert counts == {
        "metric_samples": 8,
        "action_outputs": 1,
        "crawl_errors": 2,
        "error_events": 1,
        "policy_decisions": 1,
    }
    assert count(store_engine, ErrorEvent) == count(store_engine, PolicyDecision) == 1
    with Session(store_engine) as s:
        left = sorted((r.server_name, r.at) for r in s.exec(select(MetricSample)))
    assert left == [
        ("a", NOW - timedelta(days=1)),
        ("silent", NOW - timedelta(days=60)),
    ]
    assert (
        count(store_engine, ActionOutput) == 1 and count(store_engine, CrawlError) == 1
    )
    assert count(store_engine, AuditEvent) == 1
    assert store.prune(30, now=NOW) == 0


def test_prune_refuses_a_retention_below_one_day(store_engine: Engine) -> None:
    store = StoreService(store_engine, session_factory(store_engine))
    with pytest.raises(InvalidInput, match="at least 1 day"):
        store.prune(0)


def carried_failures(engine: Engine) -> dict[tuple[str, str], int]:
    with Session(engine) as s:
        return CounterRepo(s).carried(CRAWL_FAILURES)


def test_prune_carries_the_failures_it_deletes_adding_to_earlier_ones(
    store_engine: Engine,
) -> None:
    with Session(store_engine) as s, s.begin():
        MetricRepo(s).add_errors(
            [
                {"server_name": name, "at": NOW - timedelta(days=d), "cause": cause}
                for name, cause, d in (
                    ("a", "timeout", 40),
                    ("a", "timeout", 35),
                    ("a", "auth", 40),
                    ("b", "timeout", 5),
                )
            ]
        )
    store = StoreService(store_engine, session_factory(store_engine))
    assert store.prune_counts(30, now=NOW)["crawl_errors"] == 3
    assert carried_failures(store_engine) == {("a", "timeout"): 2, ("a", "auth"): 1}
    assert store.prune_counts(1, now=NOW)["crawl_errors"] == 1
    assert store.prune_counts(1, now=NOW)["crawl_errors"] == 0
    assert carried_failures(store_engine) == {
        ("a", "timeout"): 2,
        ("a", "auth"): 1,
        ("b", "timeout"): 1,
    }


@pytest.fixture
def mariadb_engine(mariadb_url: str) -> Iterator[Engine]:
    engine = create_engine_for(mariadb_url)
    support.clean_tables(engine)
    yield engine
    support.clean_tables(engine)
    engine.dispose()


def wait_for_a_lock_wait(engine: Engine) -> None:
    """Until a transaction on this database waits for a row lock (10 s at most)."""
    query = text(
        "SELECT COUNT(*) FROM information_schema.INNODB_TRX t "
        "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
        "WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE()"
    )
    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while not conn.execute(query).scalar():
            assert time.monotonic() < deadline, "the second prune never waited"
            # InnoDB refreshes INNODB_TRX only when unread for 0.1 s.
            time.sleep(0.2)
            conn.rollback()


def test_two_prunes_at_once_on_mariadb_carry_each_failure_once(
    mariadb_engine: Engine,
) -> None:
    # SQLite has a single writer; on MariaDB the rows a prune picks are locked.
    engine, cutoff = mariadb_engine, NOW - timedelta(days=30)
    with Session(engine) as s, s.begin():
        MetricRepo(s).add_errors(
            [{"server_name": "a", "at": cutoff - timedelta(days=1), "cause": "auth"}]
            * 3
        )
    sessions = session_factory(engine)
    first = sessions()
    with first.begin(), ThreadPoolExecutor(1) as pool:
        repo = MetricRepo(first)
        ids = repo.prune_ids(CrawlError, cutoff, lock=True)
        second = pool.submit(metric_repo.prune_history, sessions, cutoff)
        wait_for_a_lock_wait(engine)
        CounterRepo(first).carry(CRAWL_FAILURES, repo.failure_counts(ids))
        assert repo.delete_ids(CrawlError, ids) == 3
        first.commit()
        assert second.result(timeout=30)["crawl_errors"] == 0
    first.close()
    assert carried_failures(engine) == {("a", "auth"): 3}
