"""The actions report's aggregates: per action, in one pass over executions.

The 95th percentile of durations is the nearest rank (the smallest duration
with at least 95 % of the action's timed runs at or below it), picked with
``ROW_NUMBER()`` in integer arithmetic, so both databases return the same
stored value: no interpolation, no dialect's own percentile function.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
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
        approved, mean duration, p95 duration), by action."""
        x = Execution
        duration = col(x.duration_s)
        timed = duration.is_not(None)
        ranked = (
            select(
                col(x.action_name).label("action"),
                col(x.status).label("status"),
                col(x.trigger).label("trig"),
                duration.label("duration"),
                func.row_number()
                .over(partition_by=(x.action_name, timed), order_by=duration)
                .label("rn"),
                func.count(duration).over(partition_by=x.action_name).label("nd"),
            )
            .where(*scope.where(col(x.started_at), col(x.server_name)))
            .subquery()
        )
        r = ranked.c
        at_rank = and_(
            r.duration.is_not(None),
            r.rn * 100 >= PERCENTILE * r.nd,
            (r.rn - 1) * 100 < PERCENTILE * r.nd,
        )
        query = select(
            r.action,
            func.count(),
            count_if(r.status == lifecycle.SUCCEEDED),
            count_if(r.status == lifecycle.FAILED),
            count_if(r.status == lifecycle.TIMED_OUT),
            count_if(r.trig == Trigger.POLICY.value),
            count_if(r.trig == Trigger.MANUAL.value),
            count_if(r.trig == Trigger.APPROVAL.value),
            func.avg(r.duration),
            func.max(case((at_rank, r.duration))),
        )
        return plain(self.s.execute(query.group_by(r.action).order_by(r.action)))

    def verified(self, scope: Scope) -> Rows:
        """(action, checked, cleared) of the verifications made in the scope."""
        v = Verification
        query = select(
            col(v.action_name),
            count_if(col(v.cleared).is_not(None)),
            count_if(col(v.cleared).is_(True)),
        ).where(*scope.where(col(v.created_at), col(v.server_name)))
        return plain(self.s.execute(query.group_by(col(v.action_name))))
