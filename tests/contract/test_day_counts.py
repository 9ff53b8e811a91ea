"""The daily counts equal the raw rows, on SQLite and MariaDB: kept by the
writes that make the rows (an execution when it finishes, an analysis with
its recommendations, a policy decision), rebuilt after pruning, filled by
the migration; and the overview, actions and ai reports read from them give
the same figures as over the raw rows alone.

A report limited to some servers reads the raw rows, so the same scope over
every server by name is the raw reference."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ssop.core.models import (
    AnalysisDay,
    AnalysisRecord,
    Execution,
    ExecutionDay,
    PolicyDecision,
    RecommendationRecord,
    VerdictDay,
)
from ssop.core.models.execution import ExecutionStatus
from ssop.core.store import day_counts, migrate
from ssop.core.store.action_report_repo import ActionReportRepo
from ssop.core.store.ai_report_repo import AiReportRepo
from ssop.core.store.analysis_repo import AnalysisRepo
from ssop.core.store.db import session_factory
from ssop.core.store.execution_repo import ExecutionRepo, Finish
from ssop.core.store.metric_repo import prune_history
from ssop.core.store.overview_repo import OverviewRepo
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.report_scope import Scope

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
INDIA = timezone(timedelta(hours=5, minutes=30))
SERVERS = ("a", "b", "c")
ACTIONS = ("restart_service", "cleanup_temp_files", "get_uptime")
TRIGGERS = ("policy", "manual", "approval")
ENDINGS = ("succeeded", "failed", "timed_out", "unknown", "running")
# each code with a reason the guard rails give for it (migration 0012 codes
# stored reasons from their words)
CODES = {
    "ungrounded": "ungrounded: unit nginx.service is not failed in the latest reading",
    "not_assigned": "action 'reboot' is not assigned to a",
    "bad_params": "days: 0 is below the minimum 1",
}


def at_random(rng: random.Random) -> datetime:
    at = START + timedelta(seconds=rng.randrange(4 * 86400))
    return at.astimezone(INDIA) if rng.random() < 0.2 else at


def write_executions(engine: Engine, seed: int, count: int) -> None:
    """Runs begun and finished through the repositories, as the executor
    and the reconciler do; some left running. Quarter-second durations, so
    every sum is exact in floating point."""
    rng = random.Random(seed)
    for _ in range(count):
        with Session(engine) as s, s.begin():
            execution_id = (
                ExecutionRepo(s)
                .begin(
                    Execution(
                        server_name=rng.choice(SERVERS),
                        action_name=rng.choice(ACTIONS),
                        action_type="command_execute",
                        actor="policy",
                        trigger=rng.choice(TRIGGERS),
                        params={},
                        status="running",
                        started_at=at_random(rng),
                    )
                )
                .id
            )
        assert execution_id is not None
        ending = rng.choice(ENDINGS)
        with Session(engine) as s, s.begin():
            if ending == "unknown":
                won = PolicyRepo(s).mark_execution(
                    execution_id, ["claimed", "running"], "unknown"
                )
                assert won
            elif ending != "running":
                done = Finish(ExecutionStatus(ending), START, rng.randrange(400) / 4)
                assert ExecutionRepo(s).finish(execution_id, done)
                # finishing twice moves nothing and counts nothing
                assert not ExecutionRepo(s).finish(execution_id, done)


def write_analyses(engine: Engine, seed: int, count: int) -> None:
    rng = random.Random(seed)
    for _ in range(count):
        at = at_random(rng)
        llm = rng.random() < 0.3
        record = AnalysisRecord(
            server_name=rng.choice(SERVERS),
            at=at,
            analyzer="llm" if llm else "rules",
            risk=rng.choice(("low", "medium", "high")),
            confidence=rng.randrange(5) / 4,
            risk_disagreement=rng.random() < 0.2,
            llm_error="llm_timeout" if not llm and rng.random() < 0.1 else None,
            tokens_prompt=rng.randrange(900) if llm else None,
            tokens_completion=rng.randrange(90) if llm else None,
        )
        recs = [_recommendation(rng, record.server_name, at) for _ in range(3)]
        with Session(engine) as s, s.begin():
            AnalysisRepo(s).add(record, recs[: rng.randrange(4)])
            for _ in range(rng.randrange(3)):
                PolicyRepo(s).add_decision(
                    PolicyDecision(
                        at=at_random(rng),
                        server_name=rng.choice(SERVERS),
                        action_name="restart_service",
                        params_key="k",
                        outcome=rng.choice(("executed", "queued", "blocked")),
                        gate=rng.choice(("auto", "budget", "risk")),
                    )
                )


def _recommendation(
    rng: random.Random, server: str, at: datetime
) -> RecommendationRecord:
    rejected = rng.random() < 0.4
    code = rng.choice(sorted(CODES))
    return RecommendationRecord(
        analysis_id=0,
        server_name=server,
        at=at,
        source="rules",
        action_name="restart_service",
        effective_risk="medium",
        status="rejected" if rejected else "accepted",
        reject_reason=CODES[code] if rejected else "",
        reject_code=code if rejected else "",
    )


def figures(engine: Engine, scope: Scope) -> dict[str, Any]:
    """The actions and ai figures for ``scope``: from the days when it is the
    whole fleet."""
    with Session(engine) as s:
        actions = ActionReportRepo(s).per_action(scope)
        ai = AiReportRepo(s)
        overview = OverviewRepo(s)
        return {
            "actions": sorted(_rounded(r) for r in actions),
            "analyses": sorted(_totals(ai.analyses(scope, "day"))),
            "verdicts": ai.verdicts(scope),
            "runs_per_day": _per_day(overview.executions_by_bucket(scope, "day")),
            "risks_per_day": _per_day(overview.analyses_by_bucket(scope, "day")),
        }


def _per_day(rows: list[tuple[Any, ...]]) -> dict[str, list[int]]:
    """Per day: the counts, whatever the rows' split."""
    out: dict[str, list[int]] = {}
    for day, *counts in rows:
        had = out.setdefault(str(day), [0] * len(counts))
        out[str(day)] = [a + int(b) for a, b in zip(had, counts, strict=True)]
    return out


def _rounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    *counts, mean, timed = row
    return (*counts, None if mean is None else round(float(mean), 6), timed)


def _totals(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Per (day, analyzer, risk): the sums, whatever the rows' split."""
    sums: dict[tuple[str, str, str], list[float]] = {}
    for day, analyzer, risk, *values in rows:
        acc = sums.setdefault((str(day), str(analyzer), str(risk)), [0.0] * 6)
        for i, value in enumerate(values):
            acc[i] += float(value or 0)
    return [(*key, *values) for key, values in sums.items()]


def raw(scope: Scope) -> Scope:
    return Scope(scope.since, scope.until, SERVERS)


def days(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as s:
        rows = [
            *s.exec(select(ExecutionDay)).all(),
            *s.exec(select(AnalysisDay)).all(),
            *s.exec(select(VerdictDay)).all(),
        ]
    return sorted((type(r).__name__, *r.model_dump().items()) for r in rows)


SCOPES = [
    # edges inside days, on midnight, one whole day, no whole day, no rows
    Scope(START + timedelta(hours=5, minutes=3), START + timedelta(days=3, hours=7)),
    Scope(START + timedelta(days=1), START + timedelta(days=3)),
    Scope(START - timedelta(days=1), START + timedelta(days=5)),
    Scope(START + timedelta(hours=23), START + timedelta(days=2, hours=1)),
    Scope(START + timedelta(hours=2), START + timedelta(hours=20)),
    Scope(START + timedelta(days=7), START + timedelta(days=9)),
    # a window given in another zone: the days are UTC's
    Scope(
        datetime(2026, 3, 1, 9, 0, tzinfo=INDIA),
        datetime(2026, 3, 4, 9, 0, tzinfo=INDIA),
    ),
]


@pytest.fixture
def written(store_engine: Engine) -> Engine:
    write_executions(store_engine, 1, 150)
    write_analyses(store_engine, 2, 150)
    return store_engine


def test_report_figures_from_the_days_equal_the_raw_rows(written: Engine) -> None:
    for scope in SCOPES:
        from_days = figures(written, scope)
        assert from_days == figures(written, raw(scope)), scope
    whole = figures(written, SCOPES[2])
    assert sum(r[1] for r in whole["actions"]) == 150
    assert sum(r[3] for r in whole["analyses"]) == 150
    assert {r[0] for r in whole["verdicts"]} == {"guard", "policy"}
    assert sum(c[0] for c in whole["runs_per_day"].values()) == 150
    assert sum(c[0] for c in whole["risks_per_day"].values()) == 150


def test_the_days_kept_by_writes_equal_a_fill_from_the_rows(written: Engine) -> None:
    kept = days(written)
    with Session(written) as s, s.begin():
        for model in (ExecutionDay, AnalysisDay, VerdictDay):
            s.execute(delete(model))
        day_counts.fill_all(s)

    assert len(kept) > 30
    assert days(written) == kept
    running = sum(dict(row[1:])["runs"] for row in kept if row[0] == "ExecutionDay")
    with Session(written) as s:
        in_flight = s.exec(select(Execution).where(Execution.status == "running"))
        assert running == 150 - len(in_flight.all())  # in-flight runs are not kept


def test_pruning_decisions_rebuilds_their_days(written: Engine) -> None:
    cut = START + timedelta(days=1, hours=4, minutes=30)

    prune_history(session_factory(written), cut)

    with Session(written) as s:
        kept = s.exec(select(PolicyDecision.at)).all()
    assert kept and min(kept) >= cut
    for scope in SCOPES:
        assert figures(written, scope) == figures(written, raw(scope)), scope


def test_the_migration_fills_the_days_and_codes_the_reasons(
    written: Engine,
) -> None:
    kept = days(written)
    with Session(written) as s, s.begin():
        analysis_id = s.exec(select(AnalysisRecord.id)).first()
        assert analysis_id is not None
        rejected = RecommendationRecord(
            analysis_id=analysis_id,
            server_name="a",
            at=START,
            source="model",
            action_name="kill_process",
            effective_risk="high",
            status="rejected",
            reject_reason="ungrounded: process java is not running in the "
            "latest reading",
        )
        s.add(rejected)
        s.flush()
        rejected_id = rejected.id
    command.downgrade(migrate._config(written), "0011")
    migrate.upgrade(written)

    with Session(written) as s:
        row = s.get(RecommendationRecord, rejected_id)
        assert row is not None and row.reject_code == "ungrounded"
    key = ("VerdictDay", START, "guard", "rejected", "ungrounded")
    before, after = counted(kept), counted(days(written))
    was = dict(before.pop(key, (("count", 0),)))["count"]
    assert after.pop(key) == (("count", was + 1),)  # the new one, under its code
    assert after == before  # the rest as the writes kept them


def counted(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Each day row as (table, its key values) -> its amounts."""
    out = {}
    for table, *items in rows:
        values = dict(items)
        keys = [values.pop(k) for k in KEYS if k in values]
        out[(table, *keys)] = tuple(sorted(values.items()))
    return out


KEYS = (
    *("start", "action_name", "status", "trigger"),
    *("analyzer", "risk", "stage", "outcome", "reason"),
)
