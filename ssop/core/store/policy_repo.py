"""Queries behind policy: the switch row, decisions, windows, and recent changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ssop.core.errors import NotFound
from ssop.core.models import (
    ApprovalRequest,
    AutomationState,
    Execution,
    MaintenanceWindow,
    MetricSample,
    PolicyDecision,
    Server,
)
from ssop.core.models.action import ActionType
from ssop.core.models.keys import params_key
from ssop.core.store import day_counts

STATE_ID = 1


class PolicyRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    # -- the switch row ------------------------------------------------------

    def lock(self, now: datetime) -> None:
        """Take the policy lock for this transaction (a write on the switch row).

        Writing first means the reads that follow see every decision committed
        before, on SQLite and under MariaDB's REPEATABLE READ alike.
        """
        stmt = (
            update(AutomationState)
            .where(col(AutomationState.id) == STATE_ID)
            .values(seq=AutomationState.seq + 1)
            .execution_options(synchronize_session=False)
        )
        if self.s.exec(stmt).rowcount == 1:
            return
        try:
            with self.s.begin_nested():
                self.s.add(AutomationState(id=STATE_ID, updated_at=now))
                self.s.flush()
        except IntegrityError:
            self.s.exec(stmt)

    def state(self) -> AutomationState:
        """The switch row (defaults when it was never written)."""
        query = (
            select(AutomationState)
            .where(AutomationState.id == STATE_ID)
            .execution_options(populate_existing=True)
        )
        return self.s.exec(query).first() or AutomationState(id=STATE_ID)

    def save_state(self, now: datetime, **values: Any) -> AutomationState:
        self.lock(now)
        row = self.state()
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = now
        self.s.add(row)
        self.s.flush()
        return row

    # -- decisions -----------------------------------------------------------

    def add_decision(self, row: PolicyDecision) -> PolicyDecision:
        self.s.add(row)
        self.s.flush()
        day_counts.add_decision(self.s, row)
        return row

    def was_decided(self, recommendation_id: int) -> bool:
        query = select(PolicyDecision.id).where(
            PolicyDecision.recommendation_id == recommendation_id
        )
        return self.s.exec(query.limit(1)).first() is not None

    def decisions_for(self, analysis_id: int) -> list[PolicyDecision]:
        query = (
            select(PolicyDecision)
            .where(PolicyDecision.analysis_id == analysis_id)
            .order_by(col(PolicyDecision.id))
        )
        return list(self.s.exec(query))

    def decisions_since(self, outcome: str, since: datetime) -> list[PolicyDecision]:
        query = (
            select(PolicyDecision)
            .where(PolicyDecision.outcome == outcome, col(PolicyDecision.at) > since)
            .order_by(col(PolicyDecision.id))
        )
        return list(self.s.exec(query))

    def last_analysis_id(self) -> int | None:
        return self.s.exec(select(func.max(PolicyDecision.analysis_id))).one()

    def set_decision_links(
        self, decision_id: int, execution_id: int | None, request_id: int | None
    ) -> None:
        stmt = (
            update(PolicyDecision)
            .where(col(PolicyDecision.id) == decision_id)
            .values(execution_id=execution_id, request_id=request_id)
            .execution_options(synchronize_session=False)
        )
        self.s.exec(stmt)

    # -- maintenance windows -------------------------------------------------

    def active_window(self, server: str, now: datetime) -> MaintenanceWindow | None:
        query = select(MaintenanceWindow).where(
            col(MaintenanceWindow.server_name).in_([server, "*"]),
            col(MaintenanceWindow.starts_at) <= now,
            col(MaintenanceWindow.ends_at) > now,
        )
        return self.s.exec(query.order_by(col(MaintenanceWindow.ends_at))).first()

    def add_window(self, row: MaintenanceWindow) -> MaintenanceWindow:
        self.s.add(row)
        self.s.flush()
        return row

    def windows(self, ending_after: datetime) -> list[MaintenanceWindow]:
        query = select(MaintenanceWindow).where(
            col(MaintenanceWindow.ends_at) > ending_after
        )
        return list(self.s.exec(query.order_by(col(MaintenanceWindow.starts_at))))

    def window(self, window_id: int) -> MaintenanceWindow:
        row = self.s.get(MaintenanceWindow, window_id)
        if row is None:
            raise NotFound(
                f"no maintenance window #{window_id}", hint="see: ssop maintenance list"
            )
        return row

    def remove_window(self, window_id: int) -> MaintenanceWindow:
        row = self.window(window_id)
        self.s.delete(row)
        self.s.flush()
        return row

    # -- recent changes, for cooldown, budgets and blast radius --------------

    def last_run_of(
        self, server: str, action: str, key: str, since: datetime
    ) -> datetime | None:
        """When the same change last started on ``server`` after ``since``."""
        query = select(Execution.started_at, Execution.params).where(
            Execution.server_name == server,
            Execution.action_name == action,
            col(Execution.started_at) > since,
        )
        times = [
            at
            for at, params in self.s.exec(query)
            if params_key(_strings(params)) == key
        ]
        return max(times, default=None)

    def last_shadow_of(
        self, server: str, action: str, key: str, since: datetime
    ) -> datetime | None:
        query = select(func.max(PolicyDecision.at)).where(
            PolicyDecision.server_name == server,
            PolicyDecision.action_name == action,
            PolicyDecision.params_key == key,
            PolicyDecision.outcome == "shadow",
            col(PolicyDecision.at) > since,
        )
        return self.s.exec(query).one()

    def auto_runs_since(self, since: datetime, server: str | None = None) -> int:
        """Automatic requests started after ``since`` (each is one execution)."""
        query = select(func.count()).where(
            ApprovalRequest.trigger == "auto", col(ApprovalRequest.created_at) > since
        )
        if server is not None:
            query = query.where(ApprovalRequest.server_name == server)
        return int(self.s.exec(query).one())

    def shadow_runs_since(self, since: datetime, server: str | None = None) -> int:
        query = select(func.count()).where(
            PolicyDecision.outcome == "shadow", col(PolicyDecision.at) > since
        )
        if server is not None:
            query = query.where(PolicyDecision.server_name == server)
        return int(self.s.exec(query).one())

    def auto_in_flight(self, statuses: Sequence[str]) -> int:
        query = select(func.count()).where(
            ApprovalRequest.trigger == "auto",
            col(ApprovalRequest.status).in_(list(statuses)),
        )
        return int(self.s.exec(query).one())

    def changed_servers(self, since: datetime, in_flight: Sequence[str]) -> set[str]:
        """Servers with a changing execution after ``since``, or one under way."""
        ran = select(Execution.server_name).where(
            col(Execution.started_at) > since,
            Execution.action_type != ActionType.COMMAND_GET.value,
        )
        running = select(ApprovalRequest.server_name).where(
            col(ApprovalRequest.status).in_(list(in_flight))
        )
        return set(self.s.exec(ran.distinct())) | set(self.s.exec(running.distinct()))

    def shadow_servers_since(self, since: datetime) -> set[str]:
        query = select(PolicyDecision.server_name).where(
            PolicyDecision.outcome == "shadow", col(PolicyDecision.at) > since
        )
        return set(self.s.exec(query.distinct()))

    def fleet_size(self) -> int:
        query = select(func.count()).select_from(Server).where(col(Server.enabled))
        return int(self.s.exec(query).one())

    def latest_sample(self, server: str) -> MetricSample | None:
        query = (
            select(MetricSample)
            .where(MetricSample.server_name == server)
            .order_by(col(MetricSample.at).desc(), col(MetricSample.id).desc())
        )
        return self.s.exec(query.limit(1)).first()

    # -- executions (read and reconcile only; the runner owns them) ----------

    def execution(self, execution_id: int) -> Execution | None:
        return self.s.get(Execution, execution_id)

    def executions_in(self, statuses: Sequence[str]) -> list[Execution]:
        query = select(Execution).where(col(Execution.status).in_(list(statuses)))
        return list(self.s.exec(query.order_by(col(Execution.id))))

    def executions_for_request(self, request_id: int) -> list[Execution]:
        query = select(Execution).where(Execution.request_id == request_id)
        return list(self.s.exec(query.order_by(col(Execution.id))))

    def mark_execution(
        self,
        execution_id: int,
        from_statuses: Sequence[str],
        status: str,
        **values: Any,
    ) -> bool:
        stmt = (
            update(Execution)
            .where(
                col(Execution.id) == execution_id,
                col(Execution.status).in_(list(from_statuses)),
            )
            .values(status=status, **values)
            .execution_options(synchronize_session=False)
        )
        won = int(self.s.exec(stmt).rowcount) == 1
        if won:
            day_counts.add_finished_executions(self.s, [execution_id])
        return won


def _strings(params: object) -> dict[str, str]:
    if not isinstance(params, dict):
        return {}
    return {str(k): str(v) for k, v in params.items()}
