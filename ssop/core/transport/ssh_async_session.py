"""One command's session on an asyncssh connection: its output, capped, and its end."""

from __future__ import annotations

import asyncio

import asyncssh

from ssop.core.transport.capture import CappedBuffer
from ssop.core.transport.ssh_async_errors import SessionLost


class Capture(asyncssh.SSHClientSession[bytes]):
    """Keeps the first ``cap`` bytes of stdout and of stderr as they arrive."""

    def __init__(self, cap: int) -> None:
        self.out = CappedBuffer(cap)
        self.err = CappedBuffer(cap)
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        stream = self.err if datatype == asyncssh.EXTENDED_DATA_STDERR else self.out
        stream.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ended.done():  # cancelled by a deadline
            return
        if exc is None:
            self._ended.set_result(None)
        else:
            self._ended.set_exception(SessionLost(str(exc) or type(exc).__name__))

    async def finished(self) -> None:
        """Wait until the session is closed.

        Raises:
            SessionLost: the connection broke under it.
        """
        await self._ended

    @staticmethod
    def exit_code(channel: asyncssh.SSHClientChannel[bytes]) -> int:
        """The command's exit status; -1 when a signal ended it.

        Raises:
            SessionLost: the session closed without either, which sshd never
                does for a command it ran to the end.
        """
        status = channel.get_exit_status()
        if status is None:
            raise SessionLost("the connection closed while the command ran")
        return status
