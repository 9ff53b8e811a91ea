"""One command's session on an asyncssh connection: its output, capped, and its end.

``RemoteRun.until_end`` waits for whichever comes first: the session
closing (the command ended; its exit status says whether the host's
deadline ended it), a stream passing the cap, ssop's deadline, or a stop
request (Ctrl-C), and reports it as an ``Ending``. Everything here runs on
the shared event loop.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from dataclasses import dataclass

import asyncssh

from ssop.core.transport.capture import CappedBuffer
from ssop.core.transport.ending import Ending, How
from ssop.core.transport.remote_deadline import RemoteDeadline
from ssop.core.transport.ssh_async_errors import SessionLost

# After a stop request, how long the host gets beyond its KILL delay to
# report that the command ended.
WIND_DOWN_MARGIN_S = 2.0


class Capture(asyncssh.SSHClientSession[bytes]):
    """Keeps the first ``cap`` bytes of stdout and of stderr as they arrive."""

    def __init__(self, cap: int, end_at_cap: bool) -> None:
        self.out = CappedBuffer(cap)
        self.err = CappedBuffer(cap)
        self._end_at_cap = end_at_cap
        self.closed = asyncio.Event()
        self.full = asyncio.Event()  # a stream passed the cap: end the command
        self.lost: str | None = None  # why the connection broke under it

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        stream = self.err if datatype == asyncssh.EXTENDED_DATA_STDERR else self.out
        stream.feed(data)
        if self._end_at_cap and stream.truncated:
            self.full.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.lost is None:
            self.lost = str(exc) or type(exc).__name__
        self.closed.set()


@dataclass(frozen=True)
class RemoteRun:
    """A command sent under ``remote``; ``watch``: its stdin is the end switch."""

    channel: asyncssh.SSHClientChannel[bytes]
    capture: Capture
    remote: RemoteDeadline
    watch: bool

    async def until_end(
        self, started: float, deadline: float, stop: asyncio.Event
    ) -> Ending:
        """How the command ended; see the module docstring.

        Raises:
            SessionLost: the connection broke under it.
        """
        how = await self._first(deadline, stop)
        if how is How.EXITED:
            return self._exited(started)
        if how is How.INTERRUPTED:
            return await self._wind_down(started)
        # the channel is closed next: the wrapper sees EOF and ends the command
        _ask_to_kill(self.channel)
        return self._ending(how, started, -1, ended_on_host=False)

    async def _first(self, deadline: float, stop: asyncio.Event) -> How:
        waits = {
            asyncio.ensure_future(self.capture.closed.wait()): How.EXITED,
            asyncio.ensure_future(self.capture.full.wait()): How.CUT,
            asyncio.ensure_future(stop.wait()): How.INTERRUPTED,
        }
        left = max(deadline - time.monotonic(), 0.0)
        try:
            done, _ = await asyncio.wait(
                waits, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiting in waits:
                waiting.cancel()
        order = list(How)  # an exit status beats everything else
        return min((waits[w] for w in done), key=order.index, default=How.LATE)

    def _exited(self, started: float) -> Ending:
        code = self._exit_code()
        how = How.LATE if self.remote.fired(code, time.monotonic()) else How.EXITED
        return self._ending(how, started, code, ended_on_host=True)

    async def _wind_down(self, started: float) -> Ending:
        if self.watch:
            with suppress(asyncssh.Error, OSError):  # it may be closing already
                self.channel.write_eof()
        else:
            _ask_to_kill(self.channel)
        wait = self.remote.kill_after + WIND_DOWN_MARGIN_S
        try:
            await asyncio.wait_for(self.capture.closed.wait(), wait)
            code = self._exit_code()
        except (TimeoutError, SessionLost):
            return self._ending(How.INTERRUPTED, started, -1, ended_on_host=False)
        return self._ending(How.INTERRUPTED, started, code, ended_on_host=True)

    def _exit_code(self) -> int:
        """The exit status; -1 when a signal ended the command.

        Raises:
            SessionLost: the session closed without either, which sshd never
                does for a command it ran to the end.
        """
        if self.capture.lost is not None:
            raise SessionLost(self.capture.lost)
        status = self.channel.get_exit_status()
        if status is None:
            raise SessionLost("the connection closed while the command ran")
        return status

    def _ending(
        self, how: How, started: float, code: int, *, ended_on_host: bool
    ) -> Ending:
        out, err = self.capture.out, self.capture.err
        duration = time.monotonic() - started
        return Ending(
            how,
            out,
            err,
            exit_code=code,
            duration_s=duration,
            ended_on_host=ended_on_host,
        )


def _ask_to_kill(channel: asyncssh.SSHClientChannel[bytes]) -> None:
    """Ask sshd to KILL the command too: it honours that for non-root logins."""
    with suppress(asyncssh.Error, OSError):  # the channel may be going away
        channel.send_signal("KILL")
