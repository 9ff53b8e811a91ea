"""Run one command on an open paramiko session channel, within a deadline.

The command is sent under the host-side deadline wrapper
(``remote_deadline``). Reads stdout and stderr as they arrive (one poll
loop, no threads), keeps at most the cap of each, and stops at whichever
comes first: the command's end, a stream passing the cap, the deadline, or
a Ctrl-C (then it sends EOF, which has the wrapper end the command, and
waits briefly for the end). Fabric's ``run()`` is not used: it buffers all
output and starts threads per call.
"""

from __future__ import annotations

import select
import time
from contextlib import suppress

import paramiko

from ssop.core.transport.base import Command
from ssop.core.transport.capture import READ_CHUNK, CappedBuffer
from ssop.core.transport.ending import Ending, How
from ssop.core.transport.remote_deadline import RemoteDeadline

# After a Ctrl-C, how long the host gets beyond its KILL delay to report
# that the command ended.
WIND_DOWN_MARGIN_S = 2.0


class DeadlinePassed(Exception):
    """The deadline passed while waiting on the channel."""


class ConnectionLost(EOFError):
    """The channel closed without an EOF: the connection died under it."""


def execute(
    channel: paramiko.Channel, cmd: Command, started: float, deadline: float, cap: int
) -> Ending:
    """Run ``cmd`` on ``channel`` and say how it ended.

    Raises:
        ConnectionLost, paramiko.SSHException, OSError: the connection failed.
    """
    remote = RemoteDeadline.within(deadline - time.monotonic())
    # No EOF is sent to a command without stdin: EOF is what asks the
    # wrapper to end it. (paramiko also sends EOF outside its channel lock,
    # so a fast command's CLOSE could overtake it and OpenSSH then drops
    # the whole connection: paramiko#1115.)
    channel.exec_command(remote.wrap(cmd).as_shell())
    return _ChannelRun(channel, cmd, remote, started, cap).until_end(deadline)


class _ChannelRun:
    def __init__(
        self,
        channel: paramiko.Channel,
        cmd: Command,
        remote: RemoteDeadline,
        started: float,
        cap: int,
    ) -> None:
        self.channel = channel
        self.cmd = cmd
        self.remote = remote
        self.started = started
        self.out, self.err = CappedBuffer(cap), CappedBuffer(cap)

    def until_end(self, deadline: float) -> Ending:
        try:
            if self.cmd.stdin:
                _send_stdin(self.channel, self.cmd.stdin, deadline)
            how = self._drain(deadline, self.cmd.end_at_cap)
            if how is How.EXITED:
                return self._exited(deadline)
        except DeadlinePassed:
            how = How.LATE
        except KeyboardInterrupt:
            return self._wind_down()
        # the channel is closed next: the wrapper sees EOF and ends the command
        return self._ending(how, -1, ended_on_host=False)

    def _drain(self, deadline: float, end_at_cap: bool) -> How:
        """Read until EOF (EXITED) or, with ``end_at_cap``, the cap (CUT).

        Raises:
            DeadlinePassed: the deadline passed first.
        """
        poller = select.poll()  # unlike select(), fine with fd numbers above 1024
        poller.register(self.channel.fileno(), select.POLLIN)
        while not (self.channel.eof_received or self.channel.closed):
            poller.poll(_remaining(deadline) * 1000)
            self._take()
            if end_at_cap and (self.out.truncated or self.err.truncated):
                return How.CUT
        # data that arrived together with the EOF
        while self.channel.recv_ready() or self.channel.recv_stderr_ready():
            self._take()
        return How.EXITED

    def _exited(self, deadline: float) -> Ending:
        # sshd always sends EOF before closing a session it ended itself
        if not self.channel.eof_received:
            raise ConnectionLost("the connection closed while the command ran")
        if not self.channel.status_event.wait(_remaining(deadline)):
            raise DeadlinePassed
        code = self.channel.exit_status
        fired = self.remote.fired(code, time.monotonic())
        return self._ending(How.LATE if fired else How.EXITED, code, ended_on_host=True)

    def _wind_down(self) -> Ending:
        """After a Ctrl-C: EOF has the wrapper end the command; wait for it."""
        if not self.cmd.stdin:
            with suppress(paramiko.SSHException, OSError):  # may be closing
                self.channel.shutdown_write()
        until = time.monotonic() + self.remote.kill_after + WIND_DOWN_MARGIN_S
        try:
            self._drain(until, end_at_cap=False)
            ended = self._exited(until)
        except (
            DeadlinePassed,
            KeyboardInterrupt,
            EOFError,
            paramiko.SSHException,
            OSError,
        ):
            return self._ending(How.INTERRUPTED, -1, ended_on_host=False)
        return self._ending(How.INTERRUPTED, ended.exit_code, ended_on_host=True)

    def _take(self) -> None:
        if self.channel.recv_stderr_ready():
            self.err.feed(self.channel.recv_stderr(READ_CHUNK))
        if self.channel.recv_ready():
            self.out.feed(self.channel.recv(READ_CHUNK))

    def _ending(self, how: How, code: int, *, ended_on_host: bool) -> Ending:
        duration = time.monotonic() - self.started
        return Ending(
            how,
            self.out,
            self.err,
            exit_code=code,
            duration_s=duration,
            ended_on_host=ended_on_host,
        )


def _send_stdin(channel: paramiko.Channel, data: bytes, deadline: float) -> None:
    channel.settimeout(_remaining(deadline))
    try:
        channel.sendall(data)
    except TimeoutError as e:
        raise DeadlinePassed from e
    # the same race as above remains when a command exits without reading
    # its stdin; commands given stdin read it to the end
    channel.shutdown_write()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed
    return left
