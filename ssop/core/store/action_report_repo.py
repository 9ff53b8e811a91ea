"""The actions report's aggregates: per action, in one pass over executions.

The 95th percentile of durations is the nearest rank (the smallest duration
with at least 95 % of the action's timed runs at or below it), a stored
value picked by its rank, so both databases return the same one: no
interpolation, no dialect's own percentile function.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, literal, select, union_all
from sqlmodel import Session, col

from ssop.core import lifecycle
from ssop.core.lifecycle import Trigger
from ssop.core.models import Execution, Verification
from ssop.core.store.report_scope import Rows, Scope, count_if, plain

PERCENTILE = 95
UNION_CHUNK = 200


class ActionReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def per_action(self, scope: Scope) -> Rows:
        """(action, runs, succeeded, failed, timed_out, automatic, manual,
        approved, mean duration, timed runs), by action."""
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
            func.count(col(x.duration_s)),
        ).where(*scope.where(col(x.started_at), col(x.server_name)))
        return plain(self.s.execute(query.group_by(col(x.action_name))))

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
