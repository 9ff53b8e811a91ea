"""The hourly sums of the samples equal the raw samples, on SQLite and MariaDB:
kept by every write, rebuilt after pruning, filled by the migration, and
read by the reports with the partial edge hours taken from the raw rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ssop.core.models import MetricDay, MetricHour, MetricSample
from ssop.core.store import migrate
from ssop.core.store.db import session_factory
from ssop.core.store.metric_hours import (
    rebuild_before,
    sample_count,
    sample_totals,
)
from ssop.core.store.metric_repo import MetricRepo, prune_history
from ssop.core.store.report_scope import Scope

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
INDIA = timezone(timedelta(hours=5, minutes=30))
SERVERS = ("a", "b", "c")
COLUMNS = ("cpu_percent", "memory_percent", "disk_max_percent", "load1")


def random_rows(seed: int, count: int) -> list[dict[str, Any]]:
    """Samples over three days; quarter values, so every sum is exact in
    floating point and any order of adding gives the same figure."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        row: dict[str, Any] = {
            "server_name": rng.choice(SERVERS),
            "at": START + timedelta(seconds=rng.randrange(3 * 86400)),
        }
        for column in COLUMNS:
            row[column] = None if rng.random() < 0.1 else rng.randrange(400) / 4
        rows.append(row)
    return rows


def write(engine: Engine, rows: list[dict[str, Any]], batch: int = 7) -> None:
    # several transactions, so hours written earlier are added to
    for i in range(0, len(rows), batch):
        with Session(engine) as s, s.begin():
            MetricRepo(s).add_samples(rows[i : i + batch])


def raw_figures(engine: Engine, scope: Scope) -> dict[str, tuple[Any, ...]]:
    """What the reports read before the hours: one GROUP BY over raw rows."""
    m = MetricSample
    query = (
        select(
            col(m.server_name),
            func.count(),
            func.max(m.at),
            *(f(getattr(m, c)) for c in COLUMNS for f in (func.avg, func.max)),
        )
        .where(*scope.where(col(m.at), col(m.server_name)))
        .group_by(col(m.server_name))
    )
    with Session(engine) as s:
        rows = s.execute(query).all()
    return {r[0]: (r[1], r[2], *(_f(v) for v in r[3:9]), _f(r[9])) for r in rows}


def hour_figures(engine: Engine, scope: Scope) -> dict[str, tuple[Any, ...]]:
    with Session(engine) as s:
        totals = sample_totals(s, scope.since, scope.until, scope.servers)
    return {
        name: (
            t.samples,
            t.last_at,
            t.mean("cpu"),
            t.maxes["cpu"],
            t.mean("memory"),
            t.maxes["memory"],
            t.mean("disk"),
            t.maxes["disk"],
            t.mean("load"),
        )
        for name, t in totals.items()
    }


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def spans(engine: Engine) -> list[tuple[Any, ...]]:
    """Every row of metric_hours and metric_days."""
    with Session(engine) as s:
        rows = [*s.exec(select(MetricHour)).all(), *s.exec(select(MetricDay)).all()]
    return sorted((type(r).__name__, *r.model_dump().items()) for r in rows)


SCOPES = [
    # edges inside hours, on the hour, on the day, both in one hour, one
    # server, no rows
    Scope(START + timedelta(hours=5, minutes=3), START + timedelta(days=2, hours=7)),
    Scope(START + timedelta(days=1), START + timedelta(days=2, minutes=1)),
    Scope(START + timedelta(minutes=59), START + timedelta(days=3)),
    Scope(START + timedelta(minutes=17), START + timedelta(hours=8, minutes=41)),
    Scope(START + timedelta(hours=2), START + timedelta(hours=6)),
    Scope(
        START + timedelta(hours=3, minutes=5), START + timedelta(hours=3, minutes=55)
    ),
    Scope(START + timedelta(hours=4, seconds=1), START + timedelta(hours=5, seconds=1)),
    Scope(START - timedelta(days=1), START + timedelta(days=4), ("a", "c")),
    Scope(START + timedelta(days=5), START + timedelta(days=6)),
    # a window given in another zone: days and hours are UTC's
    Scope(
        datetime(2026, 3, 1, 9, 0, tzinfo=INDIA),
        datetime(2026, 3, 3, 9, 0, tzinfo=INDIA),
    ),
]


@pytest.mark.parametrize("scope", SCOPES)
def test_report_figures_from_the_hours_equal_the_raw_rows(
    store_engine: Engine, scope: Scope
) -> None:
    write(store_engine, random_rows(1, 600))

    figures = hour_figures(store_engine, scope)
    assert figures == raw_figures(store_engine, scope)
    with Session(store_engine) as s:
        counted = sample_count(s, scope.since, scope.until, scope.servers)
    assert counted == sum(f[0] for f in figures.values())


def test_the_hours_kept_by_writes_equal_a_rebuild_from_the_samples(
    store_engine: Engine,
) -> None:
    write(store_engine, random_rows(2, 600))
    kept = spans(store_engine)

    with Session(store_engine) as s, s.begin():
        rebuild_before(s, START + timedelta(days=4))

    assert sum(1 for k in kept if k[0] == "MetricDay") == 9  # 3 servers, 3 days
    assert sum(1 for k in kept if k[0] == "MetricHour") > 150
    assert spans(store_engine) == kept


def test_pruning_prunes_the_hours_and_keeps_them_exact(store_engine: Engine) -> None:
    # oldest first, as a crawl writes them: the newest id is the newest sample
    write(store_engine, sorted(random_rows(3, 600), key=lambda r: r["at"]))
    cut = START + timedelta(days=1, hours=4, minutes=30)

    prune_history(session_factory(store_engine), cut)

    with Session(store_engine) as s:
        hour = s.exec(select(func.min(MetricHour.start))).one()
        day = s.exec(select(func.min(MetricDay.start))).one()
    assert hour == START + timedelta(days=1, hours=4)
    assert day == START + timedelta(days=1)
    everything = Scope(START - timedelta(days=1), START + timedelta(days=4))
    assert hour_figures(store_engine, everything) == raw_figures(
        store_engine, everything
    )
    for since in (cut - timedelta(minutes=10), START + timedelta(days=1)):
        scope = Scope(since, START + timedelta(days=2, hours=3))
        assert hour_figures(store_engine, scope) == raw_figures(store_engine, scope)


def test_samples_stamped_in_another_zone_count_in_their_utc_hour_and_day(
    store_engine: Engine,
) -> None:
    rows = random_rows(6, 200)
    for row in rows[::2]:
        row["at"] = row["at"].astimezone(INDIA)
    write(store_engine, rows)

    assert spans(store_engine) == _rebuilt(store_engine)
    for scope in SCOPES:
        assert hour_figures(store_engine, scope) == raw_figures(store_engine, scope)


def _rebuilt(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as s, s.begin():
        rebuild_before(s, START + timedelta(days=4))
    return spans(engine)


def test_pruning_keeps_the_hour_of_a_silent_servers_last_sample(
    store_engine: Engine,
) -> None:
    write(store_engine, random_rows(4, 50))
    write(store_engine, [{"server_name": "silent", "at": START, "load1": 0.5}])

    prune_history(session_factory(store_engine), START + timedelta(days=5))

    everything = Scope(START - timedelta(days=1), START + timedelta(days=4))
    figures = hour_figures(store_engine, everything)
    assert figures == raw_figures(store_engine, everything)
    assert figures["silent"][:2] == (1, START) and figures["silent"][8] == 0.5


def test_the_migration_fills_the_hours_from_the_stored_samples(
    store_engine: Engine,
) -> None:
    write(store_engine, random_rows(5, 300))
    kept = spans(store_engine)
    command.downgrade(migrate._config(store_engine), "0009")
    try:
        with store_engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM metric_samples")).scalar()
    finally:
        migrate.upgrade(store_engine)

    assert len(kept) > 100 and spans(store_engine) == kept
