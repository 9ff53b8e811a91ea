"""Report benchmark: each report against the bare SQL of its main aggregate.

    python -m bench.report_bench [--fill] [--keep] [--rounds 3]

Fills a MariaDB database of its own (``ssop_report_bench``) with 90 days of
history for 500 servers: 1 million executions, 5 million metric samples,
100 thousand analyses (and as many recommendations and policy decisions),
crawl errors, approval requests and verifications, all by ``INSERT ...
SELECT`` from MariaDB's sequence tables (minutes, not hours); 500 more
servers have one sample each, so ``ssop status`` sees 1,000. ``--fill``
refills an existing database; without it a filled one is reused.

Then, for windows of 30 and 90 days, the fastest of ``--rounds`` runs of:
each report through ``ReportService.build`` (SQL, Python, the tables), the
bare SQL of its main aggregate written by hand (the query a person would
type for that report's headline figures), and the report's own slowest
statement alone. Then ``StatusService.fleet`` over the 1,000 servers, and
retention pruning (``prune_history``) of five days of history. Prints the
figures and the targets; asserts nothing. The database is dropped at the
end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.accounts.permissions import SYSTEM
from ssop.core.config.loader import load_config
from ssop.core.services import Services, build_services
from ssop.core.store import day_counts, migrate
from ssop.core.store.metric_hours import ceil_day, floor_day, rebuild_before
from ssop.core.store.metric_repo import prune_history

SERVER_URL = "mysql+mysqldb://root@127.0.0.1:3306"
NAME = "ssop_report_bench"
SERVERS, STATUS_SERVERS = 500, 1000
DAYS = 90
EXECUTIONS, SAMPLES, ANALYSES = 1_000_000, 5_000_000, 100_000
CHUNK = 500_000
KINDS = ("overview", "actions", "servers", "ai", "errors")
WINDOWS = ("30d", "90d")

# The hand-written aggregate behind each report's headline figures.
BARE: dict[str, str] = {
    "overview": "SELECT status, `trigger`, COUNT(*) FROM executions "
    "WHERE started_at >= :since AND started_at < :until GROUP BY status, `trigger`",
    "actions": "SELECT action_name, COUNT(*), AVG(duration_s) FROM executions "
    "WHERE started_at >= :since AND started_at < :until GROUP BY action_name",
    "servers": "SELECT server_name, COUNT(*), AVG(cpu_percent), MAX(cpu_percent), "
    "AVG(memory_percent), MAX(memory_percent), AVG(disk_max_percent), "
    "MAX(disk_max_percent), AVG(load1) FROM metric_samples "
    "WHERE at >= :since AND at < :until GROUP BY server_name",
    "ai": "SELECT analyzer, risk, COUNT(*), AVG(confidence) FROM analyses "
    "WHERE at >= :since AND at < :until GROUP BY analyzer, risk",
    # the report's one table holds both kinds of failure: both halves
    "errors": "SELECT status, action_name, server_name, COUNT(*), MIN(started_at), "
    "MAX(started_at) FROM executions WHERE started_at >= :since "
    "AND started_at < :until AND status IN ('failed', 'timed_out', 'unknown') "
    "GROUP BY status, action_name, server_name UNION ALL "
    "SELECT cause, '', server_name, COUNT(*), MIN(at), MAX(at) FROM crawl_errors "
    "WHERE at >= :since AND at < :until GROUP BY cause, server_name",
}
# The same aggregate over the daily sums of the window's whole days, for the
# reports that read them (the partial edge days are left out: a floor).
BARE_ROLLUP: dict[str, str] = {
    "actions": "SELECT action_name, SUM(runs), SUM(duration_sum) / SUM(timed) "
    "FROM execution_days WHERE start >= :first_day AND start < :last_day "
    "GROUP BY action_name",
    "ai": "SELECT analyzer, risk, SUM(analyses), SUM(confidence_sum) / SUM(analyses) "
    "FROM analysis_days WHERE start >= :first_day AND start < :last_day "
    "GROUP BY analyzer, risk",
    "servers": "SELECT server_name, SUM(samples), SUM(cpu_sum) / SUM(cpu_n), "
    "MAX(cpu_max), SUM(memory_sum) / SUM(memory_n), MAX(memory_max), "
    "SUM(disk_sum) / SUM(disk_n), MAX(disk_max), SUM(load_sum) / SUM(load_n) "
    "FROM metric_days WHERE start >= :first_day AND start < :last_day "
    "GROUP BY server_name",
}


class FixedClock:
    """The bench's now: just after the newest filled row, so windows are full."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def fill(engine: Engine, now: datetime) -> None:
    """Every table, by INSERT ... SELECT over seq_1_to_N, in chunks."""
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")
    with engine.begin() as c:
        c.execute(text("SET @now = :now"), {"now": stamp})
        _servers(c)
    steps: list[tuple[str, int, Callable[[int, int], str]]] = [
        ("metric_samples", SAMPLES, _samples_sql),
        ("executions", EXECUTIONS, _executions_sql),
        ("analyses", ANALYSES, _analyses_sql),
        ("recommendations", ANALYSES, _recommendations_sql),
        ("policy_decisions", ANALYSES, _decisions_sql),
        ("crawl_errors", ANALYSES // 2, _errors_sql),
        ("approval_requests", ANALYSES // 10, _approvals_sql),
        ("verifications", ANALYSES // 2, _verifications_sql),
    ]
    for table, total, sql in steps:
        started = time.perf_counter()
        for first in range(0, total, CHUNK):
            last = min(total, first + CHUNK)
            with engine.begin() as c:
                c.execute(text("SET @now = :now"), {"now": stamp})
                c.execute(text(sql(first + 1, last)))
        print(f"  {table}: {total:,} rows in {time.perf_counter() - started:.0f} s")
    with engine.begin() as c:
        c.execute(text("SET @now = :now"), {"now": stamp})
        c.execute(text(_status_samples_sql()))
    # what migrations 0011 and 0012 do to a store that has history: sum the
    # samples' hours and days, count the days of executions, analyses and
    # verdicts (the writes keep them after that)
    started = time.perf_counter()
    with engine.begin() as c, Session(bind=c) as s:
        rebuild_before(s, now + timedelta(days=1))
    print(f"  metric_hours, metric_days: in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with engine.begin() as c, Session(bind=c) as s:
        day_counts.fill_all(s)
    print(
        f"  execution, analysis, verdict days: in {time.perf_counter() - started:.0f} s"
    )
    with engine.begin() as c:
        c.execute(
            text(
                "ANALYZE TABLE executions, metric_samples, analyses, metric_hours, "
                "metric_days, execution_days, analysis_days, verdict_days"
            )
        )


def _servers(c: Any) -> None:
    c.execute(
        text(
            "INSERT INTO servers (name, host, port, username, local, use_agent, "
            "description, enabled, created_at, updated_at) "
            "SELECT CONCAT('srv-', LPAD(seq - 1, 4, '0')), '127.0.0.1', 22, 'root', "
            f"0, 0, '', 1, @now, @now FROM seq_1_to_{STATUS_SERVERS}"
        )
    )
    c.execute(
        text(
            "INSERT INTO server_tags (server_id, tag) "
            "SELECT id, CONCAT('tag-', id % 10) FROM servers"
        )
    )


def _server(expr: str) -> str:
    return f"CONCAT('srv-', LPAD(({expr}) % {SERVERS}, 4, '0'))"


def _ago(count: int) -> str:
    # oldest first, as a crawl writes them: ids and times grow together, and
    # the time indexes fill their pages as they do in real use
    step_us = DAYS * 86_400_000_000 // count
    return f"@now - INTERVAL (({count} - seq) * {step_us}) MICROSECOND"


def _samples_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO metric_samples (server_name, at, cpu_percent, memory_percent, "
        "swap_percent, load1, load5, load15, cpu_count, disk_max_percent, "
        "failed_unit_count, disks, failed_units, top_processes) "
        f"SELECT {_server('seq')}, {_ago(SAMPLES)}, (seq * 37 % 1000) / 10, "
        "(seq * 53 % 1000) / 10, 0, (seq % 400) / 100, 0, 0, 2, "
        "(seq * 71 % 1000) / 10, 0, '[]', '[]', '[]' "
        f"FROM seq_{first}_to_{last}"
    )


def _executions_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO executions (server_name, action_name, action_type, actor, "
        "`trigger`, reason, params, command, status, stdout, stderr, "
        "stdout_truncated, stderr_truncated, error, started_at, duration_s) "
        f"SELECT {_server('seq * 7')}, CONCAT('action_', seq % 30), "
        "'command_execute', 'policy', ELT(1 + seq % 3, 'manual', 'policy', "
        "'approval'), '', '{}', '', CASE WHEN seq % 20 = 0 THEN 'failed' "
        "WHEN seq % 50 = 1 THEN 'timed_out' ELSE 'succeeded' END, '', '', 0, 0, "
        f"'', {_ago(EXECUTIONS)}, (seq * 7919 % 10000) / 100 "
        f"FROM seq_{first}_to_{last}"
    )


def _analyses_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO analyses (server_name, at, analyzer, actor, summary, "
        "reasoning, risk, confidence, risk_disagreement, digest, tokens_prompt, "
        "tokens_completion) "
        f"SELECT {_server('seq * 3')}, {_ago(ANALYSES)}, "
        "IF(seq % 4 = 0, 'llm', 'rules'), 'system', '', '', "
        "CASE WHEN seq % 10 < 6 THEN 'low' WHEN seq % 10 < 9 THEN 'medium' "
        "ELSE 'high' END, (seq % 100) / 100, seq % 40 = 0, '', "
        "IF(seq % 4 = 0, 900, NULL), IF(seq % 4 = 0, 120, NULL) "
        f"FROM seq_{first}_to_{last}"
    )


def _recommendations_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO recommendations (analysis_id, server_name, at, source, "
        "action_name, params, reason, priority, effective_risk, status, "
        "reject_reason, reject_code, evidence) "
        "SELECT id, server_name, at, 'rules', 'restart_service', '{}', '', 1, "
        "risk, IF(id % 5 = 0, 'rejected', 'accepted'), "
        "IF(id % 5 = 0, ELT(1 + id % 3, 'ungrounded: unit x is not failed', "
        "'action x is not assigned', 'protected unit'), ''), "
        "IF(id % 5 = 0, ELT(1 + id % 3, 'ungrounded', 'not_assigned', "
        "'bad_params'), ''), '{}' "
        f"FROM analyses WHERE id BETWEEN {first} AND {last}"
    )


def _decisions_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO policy_decisions (at, server_name, action_name, params, "
        "params_key, effective_risk, outcome, gate, detail) "
        f"SELECT {_ago(ANALYSES)}, {_server('seq * 3')}, 'restart_service', '{{}}', "
        "'k', 'low', ELT(1 + seq % 4, 'executed', 'queued', 'blocked', 'shadow'), "
        "ELT(1 + seq % 3, 'auto', 'budget', 'risk'), '' "
        f"FROM seq_{first}_to_{last}"
    )


def _errors_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO crawl_errors (server_name, at, cause, message) "
        f"SELECT {_server('seq * 11')}, {_ago(ANALYSES // 2)}, "
        "ELT(1 + seq % 4, 'timeout', 'refused', 'auth', 'unreachable'), '' "
        f"FROM seq_{first}_to_{last}"
    )


def _approvals_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO approval_requests (created_at, expires_at, status, `trigger`, "
        "server_name, action_name, params, params_key, command, spec_hash, "
        "reasoning, evidence, effective_risk, gate, requested_by, comment, "
        "closed_reason, version, decided_by) "
        f"SELECT {_ago(ANALYSES // 10)}, @now, ELT(1 + seq % 5, 'pending_approval', "
        "'succeeded', 'rejected', 'expired', 'failed'), 'policy', "
        f"{_server('seq * 13')}, 'restart_service', '{{}}', CONCAT('k', seq), '', "
        "'h', '', '{}', 'medium', 'risk', 'policy', '', '', 1, "
        "IF(seq % 5 IN (1, 2, 4), 'admin', NULL) "
        f"FROM seq_{first}_to_{last}"
    )


def _verifications_sql(first: int, last: int) -> str:
    return (
        "INSERT INTO verifications (execution_id, server_name, action_name, params, "
        "baseline, created_at, due_at, detail, cleared) "
        f"SELECT seq, {_server('seq * 17')}, CONCAT('action_', seq % 30), '{{}}', "
        f"'{{}}', {_ago(ANALYSES // 2)}, @now, '', seq % 3 <> 0 "
        f"FROM seq_{first}_to_{last}"
    )


def _status_samples_sql() -> str:
    return (
        "INSERT INTO metric_samples (server_name, at, cpu_percent, memory_percent, "
        "disk_max_percent, load1, cpu_count, failed_unit_count, disks, "
        "failed_units, top_processes) "
        "SELECT CONCAT('srv-', LPAD(seq - 1, 4, '0')), @now - INTERVAL 30 SECOND, "
        "20, 30, 40, 0.5, 2, 0, '[]', '[]', '[]' "
        f"FROM seq_{SERVERS + 1}_to_{STATUS_SERVERS}"
    )


@contextmanager
def statement_times(engine: Engine) -> Iterator[list[tuple[float, str, Any]]]:
    """(seconds, SQL, parameters) of every statement run meanwhile."""
    seen: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append((time.perf_counter() - conn.info["bench_t0"], sql, params))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def fastest_of(rounds: int, run: Callable[[], object]) -> float:
    """The fastest of ``rounds`` runs: the least disturbed by the other work
    on a shared machine."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_reports(services: Services, rounds: int) -> list[dict[str, Any]]:
    now = services.clock.now()
    out = []
    for window in WINDOWS:
        since = now - timedelta(days=int(window[:-1]))
        span = {
            "since": since.replace(tzinfo=None),
            "until": now.replace(tzinfo=None),
            "first_day": ceil_day(since).replace(tzinfo=None),
            "last_day": floor_day(now).replace(tzinfo=None),
        }
        for kind in KINDS:
            figures = time_report(services, kind, window, span, rounds)
            out.append(figures)
            report_s, bare_s = figures["report"], figures["bare"]
            rollup = figures.get("bare_rollup")
            over_rollup = (
                "" if rollup is None else f", bare over the days {rollup:.3f} s"
            )
            print(
                f"  {kind:9} {window}: report {report_s:.3f} s, bare {bare_s:.3f} s "
                f"({report_s / bare_s:.2f}x){over_rollup}, its slowest statement "
                f"{figures['slowest']:.3f} s"
            )
    return out


def time_report(
    services: Services, kind: str, window: str, span: dict[str, Any], rounds: int
) -> dict[str, Any]:
    engine = services.engine

    def build() -> None:
        services.reports.build(SYSTEM, kind, window=window)

    build()  # warm the caches the same way for every figure
    report_s = fastest_of(rounds, build)
    with statement_times(engine) as seen:
        build()
    _, sql, params = max(seen, key=lambda x: x[0])

    def slowest() -> None:
        _raw(engine, sql, params)

    own_s = fastest_of(rounds, slowest)
    with engine.connect() as c:

        def bare() -> None:
            c.execute(text(BARE[kind]), span).all()

        bare_s = fastest_of(rounds, bare)
        figures = {
            "kind": kind,
            "window": window,
            "report": report_s,
            "bare": bare_s,
            "slowest": own_s,
        }
        if kind in BARE_ROLLUP:

            def bare_rollup() -> None:
                c.execute(text(BARE_ROLLUP[kind]), span).all()

            figures["bare_rollup"] = fastest_of(rounds, bare_rollup)
    return figures


def _raw(engine: Engine, sql: str, params: Any) -> None:
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params)
        cursor.fetchall()
        cursor.close()
    finally:
        conn.close()


def bench_status(services: Services, rounds: int) -> float:
    services.status.fleet(SYSTEM)
    seconds = fastest_of(rounds, lambda: services.status.fleet(SYSTEM))
    rows = len(services.status.fleet(SYSTEM).rows)
    print(f"  status over {rows} servers: {seconds:.3f} s")
    return seconds


def bench_prune(services: Services) -> None:
    before = services.clock.now() - timedelta(days=DAYS - 5)
    started = time.perf_counter()
    counts = prune_history(services.sessions, before)
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    print(
        f"  prune of 5 days' history: {total:,} rows in {seconds:.1f} s "
        f"({total / seconds:,.0f} rows/s) {counts}"
    )


def database(name: str, refill: bool) -> tuple[str, bool]:
    """The bench database's URL, and whether it was (re)created empty."""
    server = create_engine(SERVER_URL + "/")
    with server.begin() as c:
        exists = c.execute(text("SHOW DATABASES LIKE :n"), {"n": name}).first()
        if refill and exists:
            c.execute(text(f"DROP DATABASE {name}"))
        if refill or not exists:
            c.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    server.dispose()
    return f"{SERVER_URL}/{name}", refill or not exists


def drop_database(name: str) -> None:
    server = create_engine(SERVER_URL + "/")
    with server.begin() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    server.dispose()


def newest(engine: Engine) -> datetime | None:
    with engine.connect() as c:
        value = c.execute(text("SELECT MAX(at) FROM metric_samples")).scalar()
    return None if value is None else value.replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fill", action="store_true", help="refill the database")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default=NAME, help=f"default {NAME}")
    args = parser.parse_args()

    url, empty = database(args.database, args.fill)
    config = load_config(
        environ={"SSOP_DATABASE_URL": url}, system_config=Path("/nonexistent")
    )
    services = build_services(config)
    if empty:
        migrate.upgrade(services.engine)
        services.store.seed()
        now = datetime.now(UTC).replace(microsecond=0)
        print(f"filling {args.database} (now = {now:%Y-%m-%d %H:%M:%S} UTC)")
        started = time.perf_counter()
        fill(services.engine, now)
        print(f"  filled in {time.perf_counter() - started:.0f} s")
    now = (newest(services.engine) or datetime.now(UTC)) + timedelta(seconds=1)
    services = build_services(config, clock=FixedClock(now))
    targets = "targets: <= 1.5x bare, < 1 s at 30d"
    print(f"reports (fastest of {args.rounds} runs; {targets})")
    bench_reports(services, args.rounds)
    print("status (target: < 0.5 s beyond start-up)")
    bench_status(services, max(args.rounds, 5))
    print("retention")
    bench_prune(services)
    services.close()
    if not args.keep:
        drop_database(args.database)


if __name__ == "__main__":
    main()
