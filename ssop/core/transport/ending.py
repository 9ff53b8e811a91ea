"""How one command's run ended, as an adapter saw it, and what its caller gets.

Every adapter reports an ``Ending``; ``settle`` turns it into the port's
answer: a ``CommandResult``, or ``RunTimedOut`` / ``RunInterrupted`` carrying
the output so far and whether the command's end on the host is confirmed.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from enum import StrEnum

from ssop.core.transport.base import (
    Command,
    CommandResult,
    RunInterrupted,
    RunTimedOut,
)
from ssop.core.transport.capture import CappedBuffer


class How(StrEnum):
    EXITED = "exited"  # it ended by itself and its exit status came back
    CUT = "cut"  # a stream passed the cap and ssop ended it
    LATE = "late"  # its deadline passed (on the host, or here)
    INTERRUPTED = "interrupted"  # Ctrl-C


@dataclass(frozen=True)
class Ending:
    """``exit_code`` is -1 when none came back; ``ended_on_host`` says
    whether the command is known to be gone from the host."""

    how: How
    out: CappedBuffer
    err: CappedBuffer
    _: KW_ONLY
    exit_code: int
    duration_s: float
    ended_on_host: bool = True

    def result(self) -> CommandResult:
        return CommandResult(
            stdout=self.out.text(),
            stderr=self.err.text(),
            exit_code=self.exit_code,
            duration_s=self.duration_s,
            stdout_truncated=self.out.truncated,
            stderr_truncated=self.err.truncated,
            cut_off=self.how is How.CUT,
        )


def settle(ending: Ending, label: str, cmd: Command, timeout: float) -> CommandResult:
    """The port's answer for ``ending``; ``label`` names the host in messages.

    Raises:
        RunTimedOut: the deadline passed.
        RunInterrupted: Ctrl-C arrived.
    """
    result = ending.result()
    where = _where(ending.ended_on_host)
    if ending.how is How.LATE:
        text = f"{label}: {cmd.argv[0]} did not finish within {timeout:g}s{where}"
        raise RunTimedOut(text, partial=result, ended_on_host=ending.ended_on_host)
    if ending.how is How.INTERRUPTED:
        text = f"{label}: {cmd.argv[0]} was interrupted{where}"
        raise RunInterrupted(text, partial=result, ended_on_host=ending.ended_on_host)
    return result


def _where(ended_on_host: bool) -> str:
    if ended_on_host:
        return " and was stopped there"
    return "; whether it stopped on the host is not known"


def interrupted_unseen(cap: int, *, ended_on_host: bool) -> Ending:
    """A Ctrl-C with no output to show: it came before the command was sent
    (``ended_on_host``: nothing ran), or ssop gave up waiting for its end."""
    empty = CappedBuffer(cap), CappedBuffer(cap)
    return Ending(
        How.INTERRUPTED,
        *empty,
        exit_code=-1,
        duration_s=0.0,
        ended_on_host=ended_on_host,
    )
