"""What a run's outcome leaves in its execution row.

A command's result is ``succeeded`` or ``failed`` by its exit status (a
read-only command cut off at the output cap counts as succeeded). A command
stopped at its deadline is ``timed_out`` when the host confirmed that it
ended, ``unknown`` when it could not; a Ctrl-C is ``cancelled`` when the
host confirmed the end, ``unknown`` otherwise. Both keep what the command
printed until then. A failure to connect or talk is ``failed`` (a connect
timeout: ``timed_out``), with its message.
"""

from __future__ import annotations

from datetime import datetime

from ssop.core.logsetup import redact
from ssop.core.models.execution import ExecutionStatus
from ssop.core.store.execution_repo import Finish
from ssop.core.transport.base import CommandResult, RunInterrupted, RunTimedOut


def finished(result: CommandResult, now: datetime) -> Finish:
    """A command that ended by itself (or was cut off at the cap)."""
    # A cut-off command lost only output the cap would have dropped anyway;
    # it has no exit status of its own.
    ok = result.ok or result.cut_off
    return Finish(
        ExecutionStatus.SUCCEEDED if ok else ExecutionStatus.FAILED,
        now,
        result.duration_s,
        exit_code=None if result.cut_off else result.exit_code,
        stdout=result.stdout,
        stderr=result.stderr,
        stdout_truncated=result.stdout_truncated,
        stderr_truncated=result.stderr_truncated,
    )


def stopped(error: RunTimedOut | RunInterrupted, now: datetime) -> Finish:
    """A command stopped by its deadline or a Ctrl-C, with its output so far."""
    partial = error.partial
    return Finish(
        status_of_stopped(error),
        now,
        partial.duration_s,
        stdout=partial.stdout,
        stderr=partial.stderr,
        stdout_truncated=partial.stdout_truncated,
        stderr_truncated=partial.stderr_truncated,
        error=redact(error.message),
    )


def status_of_stopped(error: RunTimedOut | RunInterrupted) -> ExecutionStatus:
    if not error.ended_on_host:
        return ExecutionStatus.UNKNOWN
    if isinstance(error, RunTimedOut):
        return ExecutionStatus.TIMED_OUT
    return ExecutionStatus.CANCELLED


def failed(
    status: ExecutionStatus, error: BaseException, elapsed: float, now: datetime
) -> Finish:
    """No result: ``error`` (ssop's message, else the exception's name) says why."""
    text = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
    return Finish(status, now, max(0.0, elapsed), error=redact(text))
