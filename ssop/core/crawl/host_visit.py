"""Crawl one server: one readings round trip, then each custom get action.

All built-in readings come from one remote invocation, split apart here. A
first visit (no earlier counters for CPU %) takes two /proc/stat samples
0.2 s apart in that same invocation, so even a one-off ``ssop crawl`` shows
CPU %; later visits take one sample and compare with the previous visit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssop.core.actions.builtin import NO_MARKER, readings_command
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.readings import (
    Baseline,
    Readings,
    parse_combined,
    parse_two_samples,
)
from ssop.core.actions.render import render_command, validate_params
from ssop.core.actions.spec import ActionSpec
from ssop.core.clock import Clock
from ssop.core.crawl.buffer import HostRecord
from ssop.core.crawl.parse import (
    CommandFailed,
    classify,
    failure_digest,
    readings_digest,
    sample_values,
)
from ssop.core.crawl.problems import df_problem, sudo_problem
from ssop.core.errors import AnalysisError, SsopError, TransportError
from ssop.core.transport.base import Command, CommandResult, RunTimedOut, Transport
from ssop.core.transport.connection_spec import ConnectionSpec

log = logging.getLogger(__name__)

# Without failed logins (get_auth_failures not assigned) the commands never change.
READINGS = readings_command(first=False, auth_marker=None)
FIRST_READINGS = readings_command(first=True, auth_marker=None)
MAX_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class CrawlTarget:
    """One server and what a crawl runs there.

    ``readings``: a built-in get action is assigned, so the combined command
    runs; ``auth``: get_auth_failures is assigned, so that command also
    counts failed SSH logins; ``custom``: assigned custom get actions whose
    parameters all have defaults, each run on its own.
    """

    server: ConnectionSpec
    readings: bool
    custom: tuple[ActionSpec, ...] = ()
    auth: bool = False

    @property
    def name(self) -> str:
        return self.server.name


@dataclass(frozen=True)
class HostSettings:
    """What every host crawl needs from the settings."""

    command_timeout: float
    use_sudo: bool
    guards: GuardConfig


@dataclass(frozen=True)
class HostOutcome:
    record: HostRecord
    readings: Readings | None


def _never() -> bool:
    return False


class HostCrawl:
    """One visit of one server. Never raises an ``SsopError``: it is recorded.

    What stops the visit (a lost connection, a readings timeout) is the
    server's crawl error; otherwise the first problem met on the way (df
    failing, a custom get action timing out or sudo wanting a password),
    while everything else the visit got is kept. ``stopping`` is asked
    before each command: once true, no further one starts.
    """

    def __init__(
        self,
        target: CrawlTarget,
        transport: Transport,
        *,
        previous: Baseline | None,
        clock: Clock,
        settings: HostSettings,
        stopping: Callable[[], bool] = _never,
    ) -> None:
        self.target = target
        self.transport = transport
        self.previous = previous
        self.clock = clock
        self.settings = settings
        self.stopping = stopping

    def run(self) -> HostOutcome:
        at, started = self.clock.now(), self.clock.monotonic()
        readings: Readings | None = None
        outputs: list[dict[str, Any]] = []
        problems: list[SsopError] = []
        try:
            if self.target.readings and not self.stopping():
                readings = self._readings()
                problems += _some(df_problem(self.target.name, readings))
            self._custom(outputs, problems)
        except SsopError as e:
            problems.insert(0, e)
        duration = max(0.0, self.clock.monotonic() - started)
        error = problems[0] if problems else None
        return HostOutcome(
            self._record(at, duration, readings, outputs, error), readings
        )

    def _record(
        self,
        at: datetime,
        duration: float,
        readings: Readings | None,
        outputs: list[dict[str, Any]],
        error: SsopError | None,
    ) -> HostRecord:
        values = sample_values(readings) if readings is not None else None
        cause = classify(error) if error is not None else None
        message = error.message[:MAX_MESSAGE] if error is not None else ""
        if cause is not None:
            digest = failure_digest(cause, message)
        else:
            digest = readings_digest(values or {"outputs": outputs})
        return HostRecord(
            self.target.name,
            at,
            duration,
            digest,
            values=values,
            cause=cause,
            message=message,
            outputs=tuple(outputs),
        )

    def _readings(self) -> Readings:
        first = self.previous is None
        command = self._readings_command(first)
        result = self.transport.run(command, timeout=self.settings.command_timeout)
        # cut off at the cap: what came before it still parses
        if not (result.ok or result.cut_off):
            raise CommandFailed(_failure_text(self.target.name, result))
        try:
            if first:
                return parse_two_samples(result.stdout)
            return parse_combined(result.stdout, self.previous)
        except AnalysisError as e:
            raise CommandFailed(
                f"server {self.target.name}: the readings command printed no readings"
            ) from e

    def _readings_command(self, first: bool) -> Command:
        if not self.target.auth:
            return FIRST_READINGS if first else READINGS
        marker = self.previous.auth_marker if self.previous else None
        return readings_command(first=first, auth_marker=marker or NO_MARKER)

    def _custom(self, outputs: list[dict[str, Any]], problems: list[SsopError]) -> None:
        for spec in self.target.custom:
            if self.stopping():
                return
            try:
                outputs.append(self._run_custom(spec, problems))
            except RunTimedOut as e:
                # what it printed until then is kept; the next action still runs
                outputs.append(_row_of(spec.name, e.partial, exit_code=None))
                problems.append(e)
            except TransportError as e:
                outputs.append(_output_row(spec.name, None, "", e.message, False))
                raise  # the connection is gone: the rest would fail the same way

    def _run_custom(
        self, spec: ActionSpec, problems: list[SsopError]
    ) -> dict[str, Any]:
        params = validate_params(spec, {}, self.settings.guards)
        command = render_command(spec, params, use_sudo=self._sudo())
        result = self.transport.run(command, timeout=spec.timeout_s)
        problems += _some(sudo_problem(self.target.name, spec.name, command, result))
        # cut off at the cap: it has no exit status of its own
        return _row_of(spec.name, result, None if result.cut_off else result.exit_code)

    def _sudo(self) -> bool:
        return self.settings.use_sudo and self.target.server.username != "root"


def _some(problem: SsopError | None) -> list[SsopError]:
    return [] if problem is None else [problem]


def _row_of(
    action: str, result: CommandResult, exit_code: int | None
) -> dict[str, Any]:
    truncated = result.stdout_truncated or result.stderr_truncated
    return _output_row(action, exit_code, result.stdout, result.stderr, truncated)


def _output_row(
    action: str, code: int | None, stdout: str, stderr: str, truncated: bool
) -> dict[str, Any]:
    return {
        "action_name": action,
        "exit_code": code,
        "stdout": stdout,
        "stderr": stderr,
        "truncated": truncated,
    }


def _failure_text(name: str, result: CommandResult) -> str:
    detail = result.stderr.strip().splitlines()[-1:] or ["no message"]
    return (
        f"server {name}: the readings command exited {result.exit_code}: "
        f"{detail[0][:300]}"
    )


def failed_outcome(
    target: CrawlTarget, at: datetime, error: BaseException
) -> HostOutcome:
    """The outcome for an error the crawl did not expect (a bug): cause other."""
    cause = classify(error)
    message = f"server {target.name}: internal error ({type(error).__name__})"
    if isinstance(error, SsopError):
        message = error.message
    digest = failure_digest(cause, message)
    record = HostRecord(target.name, at, 0.0, digest, cause=cause, message=message)
    return HostOutcome(record, None)
