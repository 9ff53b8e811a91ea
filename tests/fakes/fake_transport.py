"""FakeTransport: a Transport scripted by argv that records what it was asked.

Each exact argv maps to an outcome: a CommandResult, an exception to raise
(``RunInterrupted`` too), or a callable that gets the Command (stdin included)
and returns a result. Like the real adapters it caps output per stream and, for
a command with ``end_at_cap``, reports output past the cap as cut off (exit -1,
whatever its scripted duration). A scripted result whose ``duration_s`` exceeds
the caller's timeout is what the command printed before it hung: it raises
RunTimedOut with that output, its end confirmed. An argv nobody scripted fails
the test loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ssop.core.transport.base import (
    DEFAULT_OUTPUT_CAP,
    Command,
    CommandResult,
    RunTimedOut,
)
from ssop.core.transport.capture import CappedBuffer

Outcome = CommandResult | BaseException | Callable[[Command], CommandResult]


def capped_text(data: bytes, cap: int) -> tuple[str, bool]:
    """What a real adapter keeps of ``data`` under ``cap``, and whether it cut."""
    buffer = CappedBuffer(cap)
    buffer.feed(data)
    return buffer.text(), buffer.truncated


class UnscriptedCommand(AssertionError):
    """The code under test ran an argv the test did not script."""


class FakeTransport:
    """In-memory Transport for unit tests.

    Attributes:
        calls: every Command run, in order (also those that raised).
        timeouts: the timeout given with each call, in the same order.
        closed: how many times ``close()`` was called.
    """

    def __init__(
        self,
        script: dict[tuple[str, ...], Outcome] | None = None,
        *,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        name: str = "fake",
    ) -> None:
        self.script: dict[tuple[str, ...], Outcome] = dict(script or {})
        self.calls: list[Command] = []
        self.timeouts: list[float] = []
        self.closed = 0
        self._cap = output_cap
        self._name = name

    def on(
        self,
        *argv: str,
        stdout: str = "",
        stderr: str = "",
        exit_code: int = 0,
        duration_s: float = 0.0,
    ) -> FakeTransport:
        """Script ``argv`` to give this output; returns self for chaining."""
        self.script[argv] = CommandResult(stdout, stderr, exit_code, duration_s)
        return self

    @property
    def argvs(self) -> list[tuple[str, ...]]:
        return [cmd.argv for cmd in self.calls]

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        self.calls.append(cmd)
        self.timeouts.append(timeout)
        result = self._capped(self._outcome(cmd), cmd.end_at_cap)
        if result.cut_off:  # ended at the cap, before any deadline
            return replace(result, duration_s=min(result.duration_s, timeout))
        if result.duration_s > timeout:
            raise RunTimedOut(
                f"server {self._name}: {cmd.argv[0]} did not finish within "
                f"{timeout:g}s and was stopped there",
                partial=replace(result, exit_code=-1, duration_s=timeout),
                ended_on_host=True,
            )
        return result

    def close(self) -> None:
        self.closed += 1

    def _outcome(self, cmd: Command) -> CommandResult:
        try:
            outcome = self.script[cmd.argv]
        except KeyError:
            raise UnscriptedCommand(
                f"FakeTransport {self._name}: no script for argv {cmd.argv!r}"
            ) from None
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, CommandResult):
            return outcome
        return outcome(cmd)

    def _capped(self, result: CommandResult, end_at_cap: bool) -> CommandResult:
        stdout, out_cut = capped_text(result.stdout.encode(), self._cap)
        stderr, err_cut = capped_text(result.stderr.encode(), self._cap)
        cut_off = end_at_cap and (out_cut or err_cut)
        return replace(
            result,
            stdout=stdout,
            stderr=stderr,
            exit_code=-1 if cut_off else result.exit_code,
            stdout_truncated=result.stdout_truncated or out_cut,
            stderr_truncated=result.stderr_truncated or err_cut,
            cut_off=result.cut_off or cut_off,
        )
