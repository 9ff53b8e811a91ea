"""Execution rows: begun before a command runs, finished after, read back.

``begin`` and ``finish`` are separate calls in separate transactions on
purpose: the row that says a command is running must be committed before
the command starts, and finishing only moves a row that is still running.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, asdict, dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from ssop.core.errors import NotFound
from ssop.core.models import Execution
from ssop.core.models.execution import ExecutionStatus
from ssop.core.store import day_counts


@dataclass(frozen=True)
class Finish:
    """What a finished run leaves in its row."""

    status: ExecutionStatus
    finished_at: datetime
    duration_s: float
    _: KW_ONLY
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    error: str = ""


@dataclass(frozen=True)
class ExecutionFilter:
    server: str | None = None
    action: str | None = None
    actor: str | None = None
    status: ExecutionStatus | None = None
    since: datetime | None = None
    limit: int = 50


class ExecutionRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def begin(self, row: Execution) -> Execution:
        """Insert ``row`` as running; its id is set when this returns."""
        row.status = ExecutionStatus.RUNNING.value
        self.s.add(row)
        self.s.flush()
        return row

    def finish(self, execution_id: int, outcome: Finish) -> bool:
        """Complete a running row; False when it is no longer running."""
        values = asdict(outcome)
        values["status"] = outcome.status.value
        result = self.s.execute(
            update(Execution)
            .where(col(Execution.id) == execution_id)
            .where(col(Execution.status) == ExecutionStatus.RUNNING.value)
            .values(**values)
        )
        finished = bool(result.rowcount)  # type: ignore[attr-defined]
        if finished:
            day_counts.add_finished_executions(self.s, [execution_id])
        return finished

    def get(self, execution_id: int) -> Execution:
        row = self.s.get(Execution, execution_id)
        if row is None:
            raise NotFound(
                f"no execution #{execution_id}", hint="see: ssop executions list"
            )
        return row

    def list(self, where: ExecutionFilter) -> list[Execution]:
        """Newest first."""
        query = select(Execution)
        if where.server is not None:
            query = query.where(Execution.server_name == where.server)
        if where.action is not None:
            query = query.where(Execution.action_name == where.action)
        if where.actor is not None:
            query = query.where(Execution.actor == where.actor)
        if where.status is not None:
            query = query.where(Execution.status == where.status.value)
        if where.since is not None:
            query = query.where(col(Execution.started_at) >= where.since)
        query = query.order_by(
            col(Execution.started_at).desc(), col(Execution.id).desc()
        )
        return list(self.s.exec(query.limit(where.limit)))
