"""An execution as its caller sees it: the stored record, and a Ctrl-C's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssop.core.models import Execution
from ssop.core.models.execution import ExecutionStatus


@dataclass(kw_only=True, frozen=True)
class ExecutionRecord:
    """One execution as stored: who ran what, where, why, and what came of it."""

    id: int
    server_name: str
    action_name: str
    action_type: str
    actor: str
    trigger: str
    reason: str
    params: dict[str, Any]
    command: str
    status: ExecutionStatus
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    error: str
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    request_id: int | None

    @property
    def ok(self) -> bool:
        return self.status is ExecutionStatus.SUCCEEDED


class ExecutionInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; ``record`` is its completed record: cancelled
    when the host confirmed the command ended, unknown when it could not."""

    def __init__(self, record: ExecutionRecord) -> None:
        super().__init__(f"execution #{record.id} {record.status}")
        self.record = record


def record_of(row: Execution) -> ExecutionRecord:
    return ExecutionRecord(
        id=row.id or 0,
        server_name=row.server_name,
        action_name=row.action_name,
        action_type=row.action_type,
        actor=row.actor,
        trigger=row.trigger,
        reason=row.reason,
        params=dict(row.params),
        command=row.command,
        status=ExecutionStatus(row.status),
        exit_code=row.exit_code,
        stdout=row.stdout,
        stderr=row.stderr,
        stdout_truncated=row.stdout_truncated,
        stderr_truncated=row.stderr_truncated,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_s=row.duration_s,
        request_id=row.request_id,
    )
