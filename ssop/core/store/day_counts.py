"""Fleet-wide daily counts (``models.day_counts``): kept, rebuilt, split.

The writes that make the counted rows add them to their day in the same
transaction: an analysis with its recommendations, a policy decision, an
execution when it leaves ``claimed``/``running`` (its only change of status
after that is none). Retention rebuilds the days it cut into. Reports read a
window's whole days from here and its partial edge days, and the executions
still in flight, from the raw rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select
from sqlmodel import Session, SQLModel, col

from ssop.core import lifecycle
from ssop.core.models import (
    AnalysisDay,
    AnalysisRecord,
    Execution,
    ExecutionDay,
    PolicyDecision,
    RecommendationRecord,
    VerdictDay,
)
from ssop.core.store.metric_hours import Span, ceil_day, floor_day
from ssop.core.store.portable_sql import merging_insert, truncated
from ssop.core.store.report_scope import count_if

MODEL_ANALYZER = "llm"
GUARD, POLICY = "guard", "policy"
DayTable = type[ExecutionDay] | type[AnalysisDay] | type[VerdictDay]


def split_days(since: datetime, until: datetime) -> tuple[Span | None, list[Span]]:
    """[since, until) as its whole UTC days (if any) and the raw pieces left."""
    first, last = ceil_day(since), floor_day(until)
    if first >= last:
        return None, [(since, until)]
    pieces = [(since, first), (last, until)]
    return (first, last), [(a, b) for a, b in pieces if a < b]


# -- kept by the writes ------------------------------------------------------


def add_finished_executions(s: Session, ids: Sequence[int]) -> None:
    """Count executions that just left claimed/running (by id)."""
    x = Execution
    query = select(
        col(x.started_at),
        col(x.action_name),
        col(x.status),
        col(x.trigger),
        col(x.duration_s),
    ).where(col(x.id).in_(list(ids)), col(x.status).not_in(lifecycle.IN_FLIGHT))
    rows = [
        {
            "start": floor_day(at),
            "action_name": action,
            "status": status,
            "trigger": trigger,
            "runs": 1,
            "timed": 0 if duration is None else 1,
            "duration_sum": duration or 0.0,
        }
        for at, action, status, trigger, duration in s.execute(query)
    ]
    _add(s, ExecutionDay, rows)


def add_analysis(
    s: Session, record: AnalysisRecord, recs: Sequence[RecommendationRecord]
) -> None:
    """Count one analysis and the guard rails' verdicts on its recommendations."""
    asked = record.analyzer == MODEL_ANALYZER or record.llm_error is not None
    day = floor_day(record.at)
    analysis = {
        "start": day,
        "analyzer": record.analyzer,
        "risk": record.risk,
        "analyses": 1,
        "confidence_sum": record.confidence or 0.0,
        "disagreements": int(bool(record.risk_disagreement)),
        "model_calls": int(asked),
        "tokens_prompt": record.tokens_prompt or 0,
        "tokens_completion": record.tokens_completion or 0,
    }
    _add(s, AnalysisDay, [analysis])
    verdicts = [_verdict(floor_day(r.at), GUARD, r.status, r.reject_code) for r in recs]
    _add(s, VerdictDay, verdicts)


def add_decision(s: Session, row: PolicyDecision) -> None:
    _add(s, VerdictDay, [_verdict(floor_day(row.at), POLICY, row.outcome, row.gate)])


def _verdict(day: datetime, stage: str, outcome: str, reason: str) -> dict[str, Any]:
    return {
        "start": day,
        "stage": stage,
        "outcome": outcome,
        "reason": reason,
        "count": 1,
    }


def _add(s: Session, model: DayTable, rows: Iterable[Mapping[str, Any]]) -> None:
    """Add ``rows`` (a day's key columns and amounts) to their days' rows."""
    table: Any = model.__table__  # type: ignore[union-attr]
    keys = [c.name for c in table.primary_key.columns]
    amounts = [c.name for c in table.columns if c.name not in keys]
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        into = merged.setdefault(
            key, {**dict(zip(keys, key, strict=True)), **dict.fromkeys(amounts, 0)}
        )
        for name in amounts:
            into[name] += row[name]
    if not merged:
        return
    # sorted: concurrent writers lock the rows in the same order
    values = [merged[k] for k in sorted(merged)]
    s.execute(
        merging_insert(
            s, model, keys, lambda old, new: {a: old[a] + new[a] for a in amounts}
        ),
        values,
    )


# -- rebuilt -------------------------------------------------------------------


def rebuild_decisions_before(s: Session, before: datetime) -> None:
    """Make policy's verdict days that hold time before ``before`` the counts
    of the decisions left there, after retention pruned some of them."""
    cut = ceil_day(before)
    v = VerdictDay
    s.execute(delete(v).where(col(v.start) < cut, col(v.stage) == POLICY))
    _insert_decision_days(s, cut)


def fill_all(s: Session) -> None:
    """Count every stored row from scratch (a new table, or the bench's
    bulk-loaded history); the tables must be empty."""
    _insert_execution_days(s)
    _insert_analysis_days(s)
    _insert_guard_days(s)
    _insert_decision_days(s, None)


def _insert_execution_days(s: Session) -> None:
    x = Execution
    day = truncated(s, col(x.started_at), "day")
    keys = (col(x.action_name), col(x.status), col(x.trigger))
    query = (
        select(
            day,
            *keys,
            func.count(),
            func.count(col(x.duration_s)),
            func.coalesce(func.sum(x.duration_s), 0.0),
        )
        .where(col(x.status).not_in(lifecycle.IN_FLIGHT))
        .group_by(day, *keys)
    )
    names = ["start", "action_name", "status", "trigger", "runs", "timed"]
    s.execute(insert(ExecutionDay).from_select([*names, "duration_sum"], query))


def analysis_sums() -> list[Any]:
    """What a day of analyses keeps, over the raw rows of a group: analyses,
    confidence sum, disagreements, model calls, prompt and completion tokens."""
    a = AnalysisRecord
    asked = (col(a.analyzer) == MODEL_ANALYZER) | col(a.llm_error).is_not(None)
    return [
        func.count(),
        func.coalesce(func.sum(a.confidence), 0.0),
        count_if(col(a.risk_disagreement).is_(True)),
        count_if(asked),
        func.coalesce(func.sum(a.tokens_prompt), 0),
        func.coalesce(func.sum(a.tokens_completion), 0),
    ]


def _insert_analysis_days(s: Session) -> None:
    a = AnalysisRecord
    day = truncated(s, col(a.at), "day")
    keys = (col(a.analyzer), col(a.risk))
    query = select(day, *keys, *analysis_sums()).group_by(day, *keys)
    s.execute(insert(AnalysisDay).from_select(_columns(AnalysisDay), query))


def _insert_guard_days(s: Session) -> None:
    r = RecommendationRecord
    day = truncated(s, col(r.at), "day")
    keys = (col(r.status), col(r.reject_code))
    query = select(day, literal(GUARD), *keys, func.count()).group_by(day, *keys)
    s.execute(insert(VerdictDay).from_select(_columns(VerdictDay), query))


def _insert_decision_days(s: Session, before: datetime | None) -> None:
    d = PolicyDecision
    day = truncated(s, col(d.at), "day")
    keys = (col(d.outcome), col(d.gate))
    query = select(day, literal(POLICY), *keys, func.count())
    if before is not None:
        query = query.where(col(d.at) < before)
    s.execute(
        insert(VerdictDay).from_select(_columns(VerdictDay), query.group_by(day, *keys))
    )


def _columns(model: type[SQLModel]) -> list[str]:
    table: Any = model.__table__  # type: ignore[attr-defined]
    return [c.name for c in table.columns]
