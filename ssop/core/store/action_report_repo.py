"""The actions report's aggregates: per action, in one pass over executions.

The 95th percentile of durations is the nearest rank (the smallest duration
with at least 95 % of the action's timed runs at or below it), a stored
value picked with ``CUME_DIST()``, so both databases return the same one:
no interpolation, no dialect's own percentile function.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.lifecycle import Trigger
from ssop.core.models import Execution, Verification
from ssop.core.store.report_scope import Rows, Scope, count_if, plain

PERCENTILE = 95


class ActionReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def per_action(self, scope: Scope) -> Rows:
        """(action, runs, succeeded, failed, timed_out, automatic, manual,
        approved, mean duration), by action."""
        x = Execution
        status, trigger = col(x.status), col(x.trigger)
        query = select(
            col(x.action_name),
            func.count(),
            count_if(status == lifecycle.SUCCEEDED),
            count_if(status == lifecycle.FAILED),
            count_if(status == lifecycle.TIMED_OUT),
            count_if(trigger == Trigger.POLICY.value),
            count_if(trigger == Trigger.MANUAL.value),
            count_if(trigger == Trigger.APPROVAL.value),
            func.avg(x.duration_s),
        ).where(*scope.where(col(x.started_at), col(x.server_name)))
        return plain(self.s.execute(query.group_by(col(x.action_name))))

    def p95(self, scope: Scope) -> dict[str, float]:
        """Each action's 95th percentile duration (nearest rank), of its timed runs.

        ``CUME_DIST`` is the share of the action's runs at or below a run's
        duration, peers included, so the smallest duration whose share
        reaches 0.95 is the nearest rank: one sort, one window.
        """
        x = Execution
        duration = col(x.duration_s)
        ranked = (
            select(
                col(x.action_name).label("action"),
                duration.label("duration"),
                func.cume_dist()
                .over(partition_by=x.action_name, order_by=duration)
                .label("share"),
            )
            .where(
                *scope.where(col(x.started_at), col(x.server_name)),
                duration.is_not(None),
            )
            .subquery()
        )
        r = ranked.c
        at_rank = case((r.share >= PERCENTILE / 100, r.duration))
        query = select(r.action, func.min(at_rank)).group_by(r.action)
        return {str(a): float(v) for a, v in self.s.execute(query) if v is not None}

    def verified(self, scope: Scope) -> Rows:
        """(action, checked, cleared) of the verifications made in the scope."""
        v = Verification
        query = select(
            col(v.action_name),
            count_if(col(v.cleared).is_not(None)),
            count_if(col(v.cleared).is_(True)),
        ).where(*scope.where(col(v.created_at), col(v.server_name)))
        return plain(self.s.execute(query.group_by(col(v.action_name))))
