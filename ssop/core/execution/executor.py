"""Run one action on one server with its record, and read the records back.

``ExecutionRunner.execute`` is the one way anything runs an action: a
person (``RunService``), the policy engine, an approved request. It commits
a ``running`` row before the command starts and refuses to start when it
cannot; afterwards it completes that row with the outcome.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core import lifecycle
from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.actions.render import (
    HttpRequest,
    ValidatedParams,
    render_command,
    render_http,
)
from ssop.core.actions.spec import ActionSpec
from ssop.core.audit import REFUSALS, record_refusal, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import SshSection
from ssop.core.durations import YEAR, is_duration, parse_duration
from ssop.core.errors import (
    CommandTimeout,
    Conflict,
    ExecutionNotStarted,
    InvalidInput,
    StoreError,
    TransportError,
)
from ssop.core.execution import outcomes
from ssop.core.execution.http_runner import HttpRunner
from ssop.core.execution.records import (
    ExecutionInterrupted,
    ExecutionRecord,
    record_of,
)
from ssop.core.lifecycle import Trigger
from ssop.core.logsetup import redact
from ssop.core.models import Execution, Server
from ssop.core.models.execution import ExecutionStatus
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.execution_repo import ExecutionFilter, ExecutionRepo, Finish
from ssop.core.transport.base import (
    Command,
    CommandResult,
    RunInterrupted,
    RunTimedOut,
    Transport,
)

__all__ = [
    "ExecutionInterrupted",
    "ExecutionRecord",
    "ExecutionRunner",
    "ExecutionService",
    "ExecutionStatus",
    "Rendered",
    "display_text",
    "Trigger",
    "parse_since",
    "parse_status",
    "render_action",
]

log = logging.getLogger(__name__)

MAX_LIMIT = 10_000
TransportFor = Callable[[Server], Transport]
_SECRET_HEADER = re.compile(r"(?i)auth|cookie|token|key|secret|password")
_HIDDEN = ("Cc", "Cf", "Zl", "Zp")


@dataclass(frozen=True)
class Rendered:
    """What exactly would run: a command or an HTTP request, and its text."""

    text: str
    command: Command | None = None
    http: HttpRequest | None = None


def runs_as_root(server: Server) -> bool:
    if server.local:
        return os.geteuid() == 0
    return server.username == "root"


def render_action(
    server: Server, spec: ActionSpec, params: ValidatedParams, use_sudo: bool
) -> Rendered:
    """Render ``spec`` for ``server``; ``sudo -n --`` only when it is needed.

    Raises:
        InvalidInput: ``params`` were validated for another action.
    """
    if spec.http is not None:
        request = render_http(spec, params)
        return Rendered(http_text(request), http=request)
    command = render_command(
        spec, params, use_sudo=use_sudo and not runs_as_root(server)
    )
    return Rendered(command.as_shell(), command=command)


def http_text(request: HttpRequest) -> str:
    """The request as recorded and shown; secret-looking header values masked."""
    lines = [f"{request.method} {request.url}"]
    for name, value in request.headers:
        lines.append(f"{name}: {'***' if _SECRET_HEADER.search(name) else value}")
    if request.body is not None:
        lines += ["", request.body.decode(errors="replace")]
    return redact("\n".join(lines))


class ExecutionRunner:
    """Writes the record, runs the action, completes the record."""

    def __init__(
        self,
        *,
        engine: Engine,
        sessions: SessionFactory,
        clock: Clock,
        transports: TransportFor,
        http: HttpRunner,
        ssh: SshSection,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.transports = transports
        self.http = http
        self.ssh = ssh

    def render(
        self, server: Server, spec: ActionSpec, params: ValidatedParams
    ) -> Rendered:
        """What ``execute`` would run, without running it (for dry runs)."""
        return render_action(server, spec, params, self.ssh.use_sudo)

    def execute(
        self,
        server_row: Server,
        spec: ActionSpec,
        validated_params: ValidatedParams,
        *,
        actor: str,
        trigger: Trigger,
        reason: str = "",
        request_id: int | None = None,
    ) -> ExecutionRecord:
        """Run ``spec`` on ``server_row`` and record it.

        The caller has decided the run is allowed (permissions, assignment,
        policy); this only records and runs. A command that fails, times
        out or cannot reach its server is an outcome, not an exception.

        Args:
            actor: the user name, ``token:NAME`` or ``policy``.
            trigger: manual, policy or approval.
            reason: free text kept with the record (why it ran).
            request_id: the approval request this run carries out.

        Returns:
            The completed record: succeeded, failed, timed_out (the host
            confirmed the command ended at its deadline) or unknown (it
            could not); see ``outcomes``.

        Raises:
            ExecutionInterrupted: Ctrl-C came meanwhile; the record is
                completed first (cancelled, or unknown).
            ExecutionNotStarted: the running row could not be written
                (nothing ran).
            Conflict: ``request_id`` is no longer running, its claim lost
                (nothing ran).
            StoreError: the outcome could not be written (the action did run).
            InvalidInput: ``validated_params`` belong to another action.
        """
        rendered = self.render(server_row, spec, validated_params)
        row = Execution(
            server_id=server_row.id,
            server_name=server_row.name,
            action_name=spec.name,
            action_type=spec.type.value,
            actor=actor[:80],
            trigger=trigger.value,
            reason=reason,
            status=ExecutionStatus.RUNNING,
            params=validated_params.as_strings(),
            command=rendered.text,
            started_at=self.clock.now(),
            request_id=request_id,
        )
        execution_id = self._begin(row)
        log.info(
            "server %s: %s started as execution #%d by %s",
            row.server_name,
            spec.name,
            execution_id,
            actor,
        )
        outcome = self._run_recording_interrupts(
            execution_id, server_row, spec, rendered, row.actor
        )
        return self._finish(execution_id, outcome)

    def _audit_refusal(self, actor: str, server: str, error: TransportError) -> None:
        """A host key or SSH login refused: a security event, not just a failure."""
        if isinstance(error, REFUSALS):
            record_refusal(
                self.sessions, self.clock, actor, "ssh.connect", server, error
            )

    def _begin(self, row: Execution) -> int:
        try:
            with translate_errors(self.engine), self.sessions() as s, s.begin():
                if row.request_id is not None:
                    _require_running(s, row.request_id)
                return ExecutionRepo(s).begin(row).id or 0
        except StoreError as e:
            raise ExecutionNotStarted(
                f"server {row.server_name}: {row.action_name} was not run, "
                f"because its execution record could not be written ({e.message})"
            ) from e

    def _run_recording_interrupts(
        self,
        execution_id: int,
        server: Server,
        spec: ActionSpec,
        rendered: Rendered,
        actor: str,
    ) -> Finish:
        started = self.clock.monotonic()
        try:
            return outcomes.finished(
                self._run(server, spec, rendered), self.clock.now()
            )
        except RunTimedOut as e:
            return outcomes.stopped(e, self.clock.now())
        except CommandTimeout as e:
            return self._failure(ExecutionStatus.TIMED_OUT, e, started)
        except TransportError as e:
            self._audit_refusal(actor, server.name, e)
            return self._failure(ExecutionStatus.FAILED, e, started)
        except RunInterrupted as e:
            record = self._finish(execution_id, outcomes.stopped(e, self.clock.now()))
            raise ExecutionInterrupted(record) from e
        except BaseException as e:
            # Ctrl-C or a bug mid-run: whether the action took effect is unknown.
            failure = self._failure(ExecutionStatus.UNKNOWN, e, started)
            self._finish(execution_id, failure)
            raise

    def _run(
        self, server: Server, spec: ActionSpec, rendered: Rendered
    ) -> CommandResult:
        if rendered.http is not None:
            return self.http.run(rendered.http)
        assert rendered.command is not None
        transport = self.transports(server)
        return transport.run(rendered.command, timeout=spec.timeout_s)

    def _failure(
        self, status: ExecutionStatus, error: BaseException, started: float
    ) -> Finish:
        elapsed = self.clock.monotonic() - started
        return outcomes.failed(status, error, elapsed, self.clock.now())

    def _finish(self, execution_id: int, outcome: Finish) -> ExecutionRecord:
        try:
            with translate_errors(self.engine), self.sessions() as s, s.begin():
                repo = ExecutionRepo(s)
                if not repo.finish(execution_id, outcome):
                    log.warning(
                        "execution #%d: was no longer running; outcome %s not kept",
                        execution_id,
                        outcome.status,
                    )
                return record_of(repo.get(execution_id))
        except StoreError as e:
            log.error("execution #%d: outcome not recorded: %s", execution_id, e)
            raise StoreError(
                f"execution #{execution_id} ran ({outcome.status}) but its record "
                f"could not be completed ({e.message})",
                hint="it stays 'running' in the store until it is reconciled",
            ) from e


def _require_running(s: Session, request_id: int) -> None:
    """The fence: a request's command starts only while it is still running.

    A runner paused after marking it running may find it closed (the
    reconciler took it for dead): it must then send nothing. The lock holds
    a concurrent close until the record is in, so that close sees it.
    """
    if not ApprovalRepo(s).hold(request_id, [lifecycle.RUNNING]):
        raise Conflict(
            f"request #{request_id} is no longer running (its claim was lost); "
            "its action was not started"
        )


class ExecutionService:
    """Reading execution records (actions.read)."""

    def __init__(self, engine: Engine, sessions: SessionFactory, clock: Clock) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("executions.list", "{server}")
    def list(
        self,
        who: Principal,
        *,
        server: str | None = None,
        status: str | None = None,
        since: str | datetime | None = None,
        limit: int = 50,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[ExecutionRecord]:
        """Newest first; ``since`` is an age (``24h``) or an ISO time. Each
        filter given must match exactly.

        Raises:
            PermissionDenied: the caller lacks actions.read.
            InvalidInput: an unknown status, a bad ``since``, or a limit
                outside 1..10000.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"--limit must be between 1 and {MAX_LIMIT}")
        now = self.clock.now()
        where = ExecutionFilter(
            server=server,
            action=action,
            actor=actor,
            status=parse_status(status) if status is not None else None,
            since=parse_since(since, now) if isinstance(since, str) else since,
            limit=limit,
        )
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.ACTIONS_READ)
            return [record_of(r) for r in ExecutionRepo(s).list(where)]

    @refusals_audited("executions.show", "execution#{execution_id}")
    def show(self, who: Principal, execution_id: int) -> ExecutionRecord:
        """Raises NotFound, PermissionDenied."""
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, Capability.ACTIONS_READ)
            return record_of(ExecutionRepo(s).get(execution_id))


def parse_since(text: str, now: datetime) -> datetime:
    """``30m``, ``24h``, ``7d``, ``2w`` ago, or an ISO time (UTC unless it says).

    Raises:
        InvalidInput: neither form.
    """
    if is_duration(text):
        return now - parse_duration(text, at_most=10 * YEAR)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"--since {text!r}: give an age like 30m, 24h, 7d or an ISO time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def display_text(text: str) -> str:
    """Output from a server, safe for a terminal: no escape or control
    characters (they could rewrite the screen), newlines and tabs kept."""
    if text.isprintable():
        return text
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in _HIDDEN
    )


def parse_status(text: str) -> ExecutionStatus:
    try:
        return ExecutionStatus(text)
    except ValueError:
        known = ", ".join(s.value for s in ExecutionStatus)
        raise InvalidInput(f"unknown status {text!r} (one of {known})") from None
