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

from ssop.core.errors import InvalidInput

DEFAULT_OUTPUT_CAP = 256 * 1024
"""Bytes kept per stream (stdout, stderr) of one command; the rest is dropped."""


@dataclass(frozen=True)
class Command:
    """An argv to run, never a shell string.

    ``as_shell()`` is the one place an argv is quoted into a line for a
    remote shell.
    """

    argv: tuple[str, ...]
    stdin: bytes | None = None

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
    """

    stdout: str
    stderr: str
    exit_code: int
    duration_s: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False

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


class Transport(Protocol):
    """Runs commands on one server over a kept-open connection."""

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        """Run ``cmd`` and capture its output up to the output cap.

        Raises:
            CommandTimeout: the command ran longer than ``timeout`` seconds.
            AuthFailed, HostKeyMismatch, HostKeyUnknown: connecting failed so.
            TransportError: any other failure to connect or to talk.
        """
        ...

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        ...
