"""The actions report's aggregates: per action, from the daily counts of the
window's whole days and the raw runs of its edges (``day_counts``).

The 95th percentile of durations is the nearest rank (the smallest duration
with at least 95 % of the action's timed runs at or below it), a stored
value picked by its rank, so both databases return the same one: no
interpolation, no dialect's own percentile function.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, func, literal, select, union_all
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.lifecycle import Trigger
from ssop.core.models import Execution, ExecutionDay, Verification
from ssop.core.store.day_counts import split_days
from ssop.core.store.metric_hours import Span
from ssop.core.store.report_scope import Rows, Scope, count_if, plain, within

OUTCOMES = (lifecycle.SUCCEEDED, lifecycle.FAILED, lifecycle.TIMED_OUT)
TRIGGERS = (Trigger.POLICY.value, Trigger.MANUAL.value, Trigger.APPROVAL.value)
PERCENTILE = 95
UNION_CHUNK = 200


class ActionReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def per_action(self, scope: Scope) -> Rows:
        """(action, runs, succeeded, failed, timed_out, automatic, manual,
        approved, mean duration, timed runs), by action."""
        totals: dict[str, list[float]] = {}
        for action, status, trigger, *amounts in self._counts(scope):
            runs, timed, seconds = int(amounts[0]), int(amounts[1]), float(amounts[2])
            acc = totals.setdefault(str(action), [0.0] * 9)
            acc[0] += runs
            if status in OUTCOMES:
                acc[1 + OUTCOMES.index(status)] += runs
            if trigger in TRIGGERS:
                acc[4 + TRIGGERS.index(trigger)] += runs
            acc[7] += timed
            acc[8] += seconds
        rows: Rows = []
        for action, (all_runs, *split, all_timed, all_seconds) in totals.items():
            average = all_seconds / all_timed if all_timed else None
            counts = (int(v) for v in (all_runs, *split))
            rows.append((action, *counts, average, int(all_timed)))
        return rows

    def _counts(self, scope: Scope) -> Rows:
        """(action, status, trigger, runs, timed runs, duration sum) in the
        scope: whole days from their counts when the whole fleet is asked,
        the rest from the raw rows."""
        days, pieces = split_days(scope.since, scope.until)
        if scope.servers is not None or days is None:
            return self._raw_counts(scope, [(scope.since, scope.until)])
        x, d = Execution, ExecutionDay
        keys = (col(d.action_name), col(d.status), col(d.trigger))
        counted = select(
            *keys, func.sum(d.runs), func.sum(d.timed), func.sum(d.duration_sum)
        ).where(col(d.start) >= days[0], col(d.start) < days[1])
        rows = plain(self.s.execute(counted.group_by(*keys)))
        # the days count finished runs only: those in flight are read raw
        in_flight = col(x.status).in_(lifecycle.IN_FLIGHT)
        rows += self._raw_counts(scope, [days], in_flight)
        return rows + self._raw_counts(scope, pieces)

    def _raw_counts(
        self, scope: Scope, spans: list[Span], *where: ColumnElement[bool]
    ) -> Rows:
        if not spans:
            return []
        x = Execution
        started = col(x.started_at)
        keys = (col(x.action_name), col(x.status), col(x.trigger))
        query = select(
            *keys,
            func.count(),
            func.count(col(x.duration_s)),
            func.coalesce(func.sum(x.duration_s), 0.0),
        ).where(within(started, spans), *where)
        query = query.where(*scope.on_servers(col(x.server_name)))
        return plain(self.s.execute(query.group_by(*keys)))

    def p95(self, scope: Scope, timed: Mapping[str, int]) -> dict[str, float]:
        """Each action's 95th percentile duration (nearest rank) of its
        ``timed[action]`` timed runs in the scope.

        The k-th smallest of n is the (n - k + 1)-th largest: read from the
        top of the (action, duration) index, a few hundred entries per
        action instead of sorting every run of the window.
        """
        x = Execution
        duration = col(x.duration_s)
        picks = []
        for action, n in timed.items():
            if n == 0:
                continue
            rank = -(-PERCENTILE * n // 100)
            pick = (
                select(literal(action).label("action"), duration.label("duration"))
                .where(
                    col(x.action_name) == action,
                    duration.is_not(None),
                    *scope.where(col(x.started_at), col(x.server_name)),
                )
                .order_by(duration.desc())
                .offset(n - rank)
                .limit(1)
                .subquery()
            )
            picks.append(select(pick.c.action, pick.c.duration))
        # one statement for many actions: one round trip, not one per action
        # (in chunks: SQLite caps a compound SELECT at 500 terms)
        out: dict[str, float] = {}
        for first in range(0, len(picks), UNION_CHUNK):
            rows = self.s.execute(union_all(*picks[first : first + UNION_CHUNK]))
            out.update((str(action), float(value)) for action, value in rows)
        return out

    def verified(self, scope: Scope) -> Rows:
        """(action, checked, cleared) of the verifications made in the scope."""
        v = Verification
        query = select(
            col(v.action_name),
            count_if(col(v.cleared).is_not(None)),
            count_if(col(v.cleared).is_(True)),
        ).where(*scope.where(col(v.created_at), col(v.server_name)))
        return plain(self.s.execute(query.group_by(col(v.action_name))))
