"""The ai report's aggregates: analyses by analyser, risk and time bucket;
what the guard rails and policy made of the recommendations. Whole days of
the whole fleet are read from the daily counts (``day_counts``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, literal, select
from sqlmodel import Session, col

from ssop.core.models import (
    AnalysisDay,
    AnalysisRecord,
    PolicyDecision,
    RecommendationRecord,
    VerdictDay,
)
from ssop.core.store import day_counts
from ssop.core.store.day_counts import split_days
from ssop.core.store.metric_hours import Span
from ssop.core.store.report_scope import (
    Rows,
    Scope,
    bucket_of,
    plain,
    within,
)


class AiReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def analyses(self, scope: Scope, bucket: str) -> Rows:
        """(bucket keys..., analyzer, risk, analyses, confidence sum, disagreements,
        model calls, prompt tokens, completion tokens).

        Daily buckets of the whole fleet come from the daily counts for the
        window's whole days; hourly ones, some servers' and the partial edge
        days come from the raw rows.
        """
        days, pieces = split_days(scope.since, scope.until)
        if bucket != "day" or scope.servers is not None or days is None:
            return self._raw_analyses(scope, bucket, [(scope.since, scope.until)])
        d = AnalysisDay
        keys = (col(d.start), col(d.analyzer), col(d.risk))
        counted = select(
            *keys,
            func.sum(d.analyses),
            func.sum(d.confidence_sum),
            func.sum(d.disagreements),
            func.sum(d.model_calls),
            func.sum(d.tokens_prompt),
            func.sum(d.tokens_completion),
        ).where(col(d.start) >= days[0], col(d.start) < days[1])
        rows = [
            (start.date(), *rest)
            for start, *rest in self.s.execute(counted.group_by(*keys))
        ]
        return rows + self._raw_analyses(scope, bucket, pieces)

    def _raw_analyses(self, scope: Scope, bucket: str, spans: list[Span]) -> Rows:
        if not spans:
            return []
        a = AnalysisRecord
        b = bucket_of(col(a.at), bucket)
        query = select(
            *b, col(a.analyzer), col(a.risk), *day_counts.analysis_sums()
        ).where(within(col(a.at), spans), *scope.on_servers(col(a.server_name)))
        return plain(self.s.execute(query.group_by(*b, a.analyzer, a.risk)))

    def verdicts(self, scope: Scope) -> Rows:
        """(stage, outcome, reason, count): the guard rails' verdicts on the
        recommendations (accepted, or rejected with a reason code) and
        policy's decisions (outcome, gate), sorted."""
        days, pieces = split_days(scope.since, scope.until)
        spans = [(scope.since, scope.until)]
        counts: Counter[tuple[str, str, str]] = Counter()
        if scope.servers is None and days is not None:
            v = VerdictDay
            keys = (col(v.stage), col(v.outcome), col(v.reason))
            counted = select(*keys, func.sum(v.count)).where(
                col(v.start) >= days[0], col(v.start) < days[1]
            )
            _add_to(counts, self.s.execute(counted.group_by(*keys)))
            spans = pieces
        if spans:
            _add_to(counts, self._raw_verdicts(scope, spans))
        return sorted((*key, count) for key, count in counts.items() if count)

    def _raw_verdicts(self, scope: Scope, spans: list[Span]) -> Rows:
        r, d = RecommendationRecord, PolicyDecision
        guard = (col(r.status), col(r.reject_code))
        policy = (col(d.outcome), col(d.gate))
        guards = select(literal(day_counts.GUARD), *guard, func.count()).where(
            within(col(r.at), spans), *scope.on_servers(col(r.server_name))
        )
        decisions = select(literal(day_counts.POLICY), *policy, func.count()).where(
            within(col(d.at), spans), *scope.on_servers(col(d.server_name))
        )
        rows = plain(self.s.execute(guards.group_by(*guard)))
        return rows + plain(self.s.execute(decisions.group_by(*policy)))


def _add_to(counts: Counter[tuple[str, str, str]], rows: Iterable[Any]) -> None:
    for stage, outcome, reason, count in rows:
        counts[str(stage), str(outcome), str(reason)] += int(count or 0)
