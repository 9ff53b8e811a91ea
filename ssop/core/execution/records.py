"""An execution as its caller sees it: the stored record, and a Ctrl-C's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssop.core.models import Execution
from ssop.core.models.execution import ExecutionStatus


@dataclass(frozen=True)
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
        row.id or 0,
        row.server_name,
        row.action_name,
        row.action_type,
        row.actor,
        row.trigger,
        row.reason,
        dict(row.params),
        row.command,
        ExecutionStatus(row.status),
        row.exit_code,
        row.stdout,
        row.stderr,
        row.stdout_truncated,
        row.stderr_truncated,
        row.error,
        row.started_at,
        row.finished_at,
        row.duration_s,
        row.request_id,
    )
