"""The Transport port: run an argv on one server and get a CommandResult back.

Adapters (``local.LocalTransport``, ``ssh_async.AsyncSshTransport``,
``ssh.FabricTransport``, and the test ``FakeTransport``) translate their
library's errors into ``TransportError`` subclasses here, so callers never
see asyncssh, paramiko, invoke or OSError.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Protocol

from ssop.core.errors import CommandTimeout, InvalidInput

DEFAULT_OUTPUT_CAP = 256 * 1024
"""Bytes kept per stream (stdout, stderr) of one command; the rest is dropped."""


@dataclass(frozen=True)
class Command:
    """An argv to run, never a shell string.

    ``as_shell()`` is the one place an argv is quoted into a line for a
    remote shell.

    ``end_at_cap``: once a stream passes the output cap, the command is ended
    (what it would print next is dropped anyway). False reads on, dropping
    the output, until it ends or its deadline passes: for commands that
    change the host, which must not be cut off halfway.
    """

    argv: tuple[str, ...]
    stdin: bytes | None = None
    end_at_cap: bool = True

    def __post_init__(self) -> None:
        if not self.argv:
            raise InvalidInput("a command needs at least a program name")
        if any("\x00" in arg for arg in self.argv):
            raise InvalidInput("a command argument contains a NUL byte")

    @classmethod
    def of(cls, *argv: str) -> Command:
        return cls(tuple(argv))

    def as_shell(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class CommandResult:
    """What a command did. A non-zero exit is data, not an exception.

    A negative ``exit_code`` means the command was killed by a signal
    (``-N`` locally; ``-1`` over SSH, where the signal is not reported).
    ``cut_off``: a stream passed the cap and ssop ended the command (its
    ``end_at_cap``), so it did not finish and ``exit_code`` is -1.
    """

    stdout: str
    stderr: str
    exit_code: int
    duration_s: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    cut_off: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class HostKey:
    """A server's public host key as presented or pinned."""

    key_type: str
    base64: str
    fingerprint: str  # "SHA256:..." as OpenSSH prints it


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach a server; secrets are decrypted, in memory only."""

    name: str
    host: str
    port: int = 22
    username: str = "root"
    private_key: str | None = None
    passphrase: str | None = None
    use_agent: bool = False
    pinned_host_key: HostKey | None = None
    connect_timeout: float = 10.0
    extra: dict[str, str] = field(default_factory=dict)
    # the last jump host on the way, itself reached through its own ``via``
    via: Endpoint | None = None


class RunTimedOut(CommandTimeout):
    """A command was still running when its deadline passed.

    ``partial`` holds what it printed until then. ``ended_on_host`` is True
    when the host confirmed the command is gone (its exit status came back,
    or the local process group was killed and reaped), False when it may
    still be running there.
    """

    def __init__(
        self, message: str, *, partial: CommandResult, ended_on_host: bool
    ) -> None:
        hint = None if ended_on_host else "it may still be running on the host"
        super().__init__(message, hint)
        self.partial = partial
        self.ended_on_host = ended_on_host


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived while a command ran; the adapter tried to end it first.

    A ``KeyboardInterrupt``, so whatever does not look for it still stops.
    ``partial`` and ``ended_on_host`` as for ``RunTimedOut``.
    """

    def __init__(
        self, message: str, *, partial: CommandResult, ended_on_host: bool
    ) -> None:
        super().__init__(message)
        self.message = message
        self.partial = partial
        self.ended_on_host = ended_on_host


class Transport(Protocol):
    """Runs commands on one server over a kept-open connection."""

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        """Run ``cmd`` and capture its output up to the output cap.

        The command is ended on the host by its deadline: over SSH a little
        before ``timeout`` (so that the exit status can say so), locally at
        ``timeout`` by killing its process group. A stream passing the cap
        ends it too, unless ``cmd.end_at_cap`` is False (``cut_off``).

        Raises:
            RunTimedOut: the command ran longer than ``timeout`` seconds.
            CommandTimeout: connecting took longer than the connect timeout.
            RunInterrupted: Ctrl-C (KeyboardInterrupt) arrived meanwhile.
            AuthFailed, HostKeyMismatch, HostKeyUnknown: connecting failed so.
            TransportError: any other failure to connect or to talk.
        """
        ...

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        ...
