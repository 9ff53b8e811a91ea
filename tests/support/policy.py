"""Honest stand-ins for the ports policy plugs into, and store set-up helpers.

``SshExecutor`` is a small real executor: it writes the execution row
(status running, with the request id) before sending the command over a
real transport, then completes the row, as ssop's ExecutionRunner does.
The other fakes keep what they were given and answer from plain data.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ssop.core.actions.render import ValidatedParams, render_command
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.clock import Clock
from ssop.core.errors import CommandTimeout, TransportError
from ssop.core.models import Execution, Server
from ssop.core.notify.events import EventKind, Notification
from ssop.core.policy.ports import Proposal
from ssop.core.services import Services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import Transport
from ssop.core.transport.connection_spec import ConnectionSpec
from ssop.core.transport.pool import TransportPool
from ssop.core.transport.ssh import FabricTransport
from tests.support.sshd import Sshd


@dataclass(frozen=True)
class Record:
    id: int | None
    status: str


class SshExecutor:
    """Writes the execution row, runs the command, completes the row."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        build: Callable[[ConnectionSpec], Transport],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.pool = TransportPool(build)
        self.calls = 0
        self._lock = threading.Lock()

    def execute(
        self,
        server_row: Server,
        spec: ActionSpec,
        validated_params: ValidatedParams,
        *,
        actor: str,
        trigger: str,
        reason: str,
        request_id: int | None = None,
    ) -> Record:
        with self._lock:
            self.calls += 1
        command = render_command(spec, validated_params, use_sudo=False)
        execution_id = self._start(
            server_row,
            spec,
            validated_params,
            command.as_shell(),
            actor,
            trigger,
            reason,
            request_id,
        )
        try:
            result = self.pool.get(server_row).run(command, timeout=spec.timeout_s)
        except CommandTimeout as e:
            return self._finish(execution_id, "timed_out", None, e.message)
        except TransportError as e:
            return self._finish(execution_id, "failed", None, e.message)
        status = "succeeded" if result.ok else "failed"
        return self._finish(execution_id, status, result.exit_code, result.stderr)

    def _start(
        self,
        server: Server,
        spec: ActionSpec,
        params: ValidatedParams,
        command: str,
        actor: str,
        trigger: str,
        reason: str,
        request_id: int | None,
    ) -> int:
        with self.sessions() as s, s.begin():
            row = Execution(
                server_id=server.id,
                server_name=server.name,
                action_name=spec.name,
                action_type=spec.type.value,
                actor=actor,
                trigger=trigger,
                reason=reason,
                params=params.as_strings(),
                command=command,
                status="running",
                started_at=self.clock.now(),
                request_id=request_id,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            return row.id

    def _finish(
        self, execution_id: int, status: str, exit_code: int | None, error: str
    ) -> Record:
        with self.sessions() as s, s.begin():
            row = s.get(Execution, execution_id)
            assert row is not None
            row.status, row.exit_code, row.error = status, exit_code, error
            row.finished_at = self.clock.now()
            s.add(row)
        return Record(execution_id, status)

    def close(self) -> None:
        self.pool.close_all()


def sshd_builder(sshd: Sshd) -> Callable[[ConnectionSpec], Transport]:
    return lambda server: FabricTransport(sshd.endpoint(server.name))


class FakeReadings:
    """Readings per server, set by the test."""

    def __init__(self) -> None:
        self.by_server: dict[str, dict[str, Any]] = {}

    def set(self, server: str, at: datetime, **values: Any) -> None:
        self.by_server[server] = {"at": at, **values}

    def latest(self, server: str) -> Mapping[str, Any] | None:
        return self.by_server.get(server)


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[Notification] = []
        self._lock = threading.Lock()

    def notify(self, event: Notification) -> None:
        with self._lock:
            self.events.append(event)

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


@dataclass
class ListSource:
    """A RecommendationSource over a list the test fills."""

    proposals: list[Proposal] = field(default_factory=list)
    asked: list[int | None] = field(default_factory=list)

    def new_proposals(self, after_analysis_id: int | None) -> Sequence[Proposal]:
        self.asked.append(after_analysis_id)
        floor = after_analysis_id or 0
        return [p for p in self.proposals if (p.analysis_id or 0) >= floor]


def proposal(
    server: str = "web1",
    action: str = "restart_service",
    params: Mapping[str, str] | None = None,
    *,
    analysis_id: int | None = 1,
    recommendation_id: int | None = None,
    risk: RiskLevel = RiskLevel.MEDIUM,
    confidence: float = 0.9,
    reason: str = "nginx.service is failed",
) -> Proposal:
    return Proposal(
        analysis_id=analysis_id,
        recommendation_id=recommendation_id,
        server=server,
        action=action,
        params=dict(params if params is not None else {"service": "nginx"}),
        effective_risk=risk,
        confidence=confidence,
        reason=reason,
        evidence={"failed_units": ["nginx.service"]},
    )


def add_server(s: Session, name: str, sshd: Sshd | None = None) -> Server:
    host, port = (sshd.host, sshd.port) if sshd else ("127.0.0.1", 22)
    return ServerRepo(s).add(
        Server(name=name, host=host, port=port, username=getpass.getuser())
    )


def assign(s: Session, server: Server, action: str, automatic: bool) -> None:
    AssignmentRepo(s).assign(server, ActionRepo(s).get(action), automatic)


def fleet(
    services: Services,
    names: Sequence[str],
    actions: Mapping[str, bool],
    sshd: Sshd | None = None,
) -> None:
    """Servers ``names``, each assigned ``actions`` (name -> automatic)."""
    with services.sessions() as s, s.begin():
        for name in names:
            server = add_server(s, name, sshd)
            for action, automatic in actions.items():
                assign(s, server, action, automatic)


def wire(
    services: Services,
    executor: SshExecutor | None,
    readings: FakeReadings | None = None,
) -> RecordingNotifier:
    """Give ``services`` the test executor, readings and a recording notifier."""
    notifier = RecordingNotifier()
    services.notifier = notifier
    if executor is not None:
        services.policy_executor = executor
    if readings is not None:
        services.latest_readings = readings
    return notifier


def executions(services: Services) -> list[Execution]:
    from sqlmodel import select

    with services.sessions() as s:
        return list(s.exec(select(Execution).order_by(Execution.id)))  # type: ignore[arg-type]
