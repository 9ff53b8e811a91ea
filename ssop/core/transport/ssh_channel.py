"""Run one command on an open paramiko session channel, within a deadline.

Reads stdout and stderr as they arrive (one poll loop, no threads), keeps
at most the cap of each, and gives up when the deadline passes. Fabric's
``run()`` is not used: it buffers all output and starts threads per call.
"""

from __future__ import annotations

import select
import time

import paramiko

from ssop.core.transport.base import Command
from ssop.core.transport.capture import READ_CHUNK, CappedBuffer


class DeadlinePassed(Exception):
    """The command was still running when its deadline passed."""


class ConnectionLost(EOFError):
    """The channel closed without an EOF: the connection died under it."""


def execute(
    channel: paramiko.Channel, cmd: Command, deadline: float, cap: int
) -> tuple[CappedBuffer, CappedBuffer, int]:
    """Run ``cmd`` on ``channel``; return stdout, stderr and the exit status.

    The exit status is -1 when the server reported none (killed by a signal).

    Raises:
        DeadlinePassed: the deadline passed first.
        ConnectionLost, paramiko.SSHException, OSError: the connection failed.
    """
    if cmd.stdin:
        channel.exec_command(cmd.as_shell())
        _send_stdin(channel, cmd.stdin, deadline)
    else:
        # No EOF is sent: paramiko sends it outside its channel lock, so a fast
        # command's CLOSE can overtake it and OpenSSH then drops the whole
        # connection (paramiko#1115). The command reads /dev/null instead.
        channel.exec_command(cmd.as_shell() + " </dev/null")
    out, err = CappedBuffer(cap), CappedBuffer(cap)
    _drain(channel, out, err, deadline)
    # sshd always sends EOF before closing a session it ended itself
    if not channel.eof_received:
        raise ConnectionLost("the connection closed while the command ran")
    if not channel.status_event.wait(_remaining(deadline)):
        raise DeadlinePassed
    return out, err, channel.exit_status


def _send_stdin(channel: paramiko.Channel, data: bytes, deadline: float) -> None:
    channel.settimeout(_remaining(deadline))
    try:
        channel.sendall(data)
    except TimeoutError as e:
        raise DeadlinePassed from e
    # the same race as above remains when a command exits without reading
    # its stdin; commands given stdin read it to the end
    channel.shutdown_write()


def _drain(
    channel: paramiko.Channel, out: CappedBuffer, err: CappedBuffer, deadline: float
) -> None:
    poller = select.poll()  # unlike select(), fine with fd numbers above 1024
    poller.register(channel.fileno(), select.POLLIN)
    while not (channel.eof_received or channel.closed):
        poller.poll(_remaining(deadline) * 1000)
        _take(channel, out, err)
    # data that arrived together with the EOF
    while channel.recv_ready() or channel.recv_stderr_ready():
        _take(channel, out, err)


def _take(channel: paramiko.Channel, out: CappedBuffer, err: CappedBuffer) -> None:
    if channel.recv_stderr_ready():
        err.feed(channel.recv_stderr(READ_CHUNK))
    if channel.recv_ready():
        out.feed(channel.recv(READ_CHUNK))


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed
    return left
