"""Where a simulated daemon dies or stalls on its way to run a request.

The seams are the dependencies the real code already takes: the executor
factory ``RequestRunner`` calls after a claim (``AFTER_CLAIM``), the
executor it then calls once the request is running (``AFTER_RUNNING``,
and ``AFTER_FINISH`` when it returns), the session factory the execution
runner opens to complete its record (``AFTER_RECORD``), and the
``should_stop`` the execute-approved step asks before each claim
(``BEFORE_CLAIM``). A kill raises ``Killed``, which nothing in ssop
catches, so the daemon writes nothing more (its open transaction rolls
back, as a dropped connection's would); a pause blocks the thread until
the schedule resumes it.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session

from ssop.core.actions.render import ValidatedParams
from ssop.core.actions.spec import ActionSpec
from ssop.core.execution.executor import ExecutionRunner
from ssop.core.execution.records import ExecutionRecord
from ssop.core.lifecycle import Trigger
from ssop.core.models import Server
from ssop.core.policy.ports import Executor
from ssop.core.store.db import SessionFactory
from ssop.core.transport.base import Command, CommandResult
from ssop.core.transport.connection_spec import ConnectionSpec

PAUSE_LIMIT_S = 60.0  # a paused thread nobody resumes gives up (a stuck schedule)


class Seam(StrEnum):
    BEFORE_CLAIM = "before claim"
    AFTER_CLAIM = "after claim"
    AFTER_RUNNING = "after running, before the record"
    AFTER_RECORD = "after the record, before finishing it"
    AFTER_FINISH = "after finishing, before closing the request"


class Killed(BaseException):
    """SIGKILL: a BaseException, so no ``except Exception`` in ssop runs on."""


@dataclass(frozen=True)
class Fault:
    kind: str  # "kill" or "pause"
    seam: Seam

    def line(self) -> str:
        return f"{self.kind} {self.seam}"


@dataclass
class Seams:
    """One daemon incarnation's fault, fired the first time it reaches its seam."""

    fault: Fault | None = None
    fired: bool = False
    holding: Callable[[], list[int]] = list  # the requests it holds in flight
    hit: list[int] = field(default_factory=list)  # those held when it fired
    paused: threading.Event = field(default_factory=threading.Event)
    resume: threading.Event = field(default_factory=threading.Event)

    def reach(self, seam: Seam) -> None:
        if self.fault is None or self.fired or self.fault.seam is not seam:
            return
        self.fired = True
        self.hit = self.holding()
        if self.fault.kind == "kill":
            raise Killed(seam.value)
        self.paused.set()
        self.resume.wait(PAUSE_LIMIT_S)

    def should_stop(self) -> bool:
        self.reach(Seam.BEFORE_CLAIM)
        return False

    def after_claim(self, factory: Callable[[], Executor]) -> Callable[[], Executor]:
        def executor() -> Executor:
            self.reach(Seam.AFTER_CLAIM)
            return factory()

        return executor


class SeamExecutor:
    """The real ``ExecutionRunner`` with this incarnation's seams around it."""

    def __init__(self, inner: ExecutionRunner, seams: Seams) -> None:
        self.inner = inner
        self.seams = seams

    def execute(
        self,
        server_row: Server,
        spec: ActionSpec,
        validated_params: ValidatedParams,
        *,
        actor: str,
        trigger: Trigger,
        reason: str,
        request_id: int | None = None,
    ) -> ExecutionRecord:
        self.seams.reach(Seam.AFTER_RUNNING)
        runner = copy.copy(self.inner)
        runner.sessions = _second_open_reaches(self.inner.sessions, self.seams)
        record = runner.execute(
            server_row,
            spec,
            validated_params,
            actor=actor,
            trigger=trigger,
            reason=reason,
            request_id=request_id,
        )
        self.seams.reach(Seam.AFTER_FINISH)
        return record


def _second_open_reaches(sessions: SessionFactory, seams: Seams) -> SessionFactory:
    """Sessions whose second opening (completing the record) is AFTER_RECORD."""
    opened = [0]

    def session() -> Session:
        opened[0] += 1
        if opened[0] == 2:
            seams.reach(Seam.AFTER_RECORD)
        return sessions()

    return session


class HostLog:
    """What the hosts saw: commands received per server, from every daemon."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self._lock = threading.Lock()

    def transport(self, spec: ConnectionSpec) -> HostTransport:
        return HostTransport(spec.name, self)

    def receive(self, server: str) -> None:
        with self._lock:
            self.sent[server] += 1


class HostTransport:
    """A host that runs anything it is sent, instantly and successfully."""

    def __init__(self, name: str, log: HostLog) -> None:
        self.name = name
        self.log = log

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        self.log.receive(self.name)
        return CommandResult("", "", 0, 0.0)

    def close(self) -> None:
        pass
