"""Turn paramiko and socket failures into ssop's TransportError family.

Also holds the host-key policy, because refusing an unknown key is an error
whose message (with the fingerprint to check) is built here too.
"""

from __future__ import annotations

import socket
from typing import Any

import paramiko

from ssop.core.errors import AuthFailed, CommandTimeout, HostKeyMismatch, TransportError
from ssop.core.transport.keys import host_key_of
from ssop.core.transport.refusals import (
    mismatched_host_key,
    no_agent_key,
    unknown_host_key,
)

_REFUSED = (paramiko.ssh_exception.NoValidConnectionsError, ConnectionRefusedError)
# paramiko reports these timeouts only through the message text
_HANDSHAKE_TIMEOUT_TEXTS = ("No existing session", "Authentication timeout")


class RejectUnknownHostKey(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
    """Refuses every host key that is not pinned, naming its fingerprint."""

    def __init__(self, name: str) -> None:
        self._name = name

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        raise unknown_host_key(self._name, host_key_of(key))


def host_key_mismatch(
    name: str, error: paramiko.BadHostKeyException
) -> HostKeyMismatch:
    expected = host_key_of(error.expected_key).fingerprint
    return mismatched_host_key(name, expected, host_key_of(error.key).fingerprint)


_NO_AUTH_METHODS = "No authentication methods available"


def translate_connect_error(
    error: BaseException, name: str, where: str, timeout: float
) -> TransportError:
    """The TransportError for a failure while connecting/authenticating."""
    if isinstance(error, paramiko.BadHostKeyException):
        return host_key_mismatch(name, error)
    if _is_timeout(error):
        return CommandTimeout(
            f"server {name}: no SSH handshake with {where} within {timeout:g}s"
        )
    if isinstance(error, paramiko.AuthenticationException):
        return AuthFailed(f"server {name}: {where} refused our key ({error})")
    if isinstance(error, _REFUSED):
        return TransportError(f"server {name}: connection refused by {where}")
    if isinstance(error, paramiko.SSHException) and _NO_AUTH_METHODS in str(error):
        return no_agent_key(name)  # no key stored, none from the agent
    return _generic(error, name, where)


def translate_session_error(
    error: BaseException, name: str, doing: str
) -> TransportError:
    """The TransportError for a failure on an established connection."""
    return TransportError(
        f"server {name}: connection lost while {doing}: {_cause(error)}"
    )


def _generic(error: BaseException, name: str, where: str) -> TransportError:
    if isinstance(error, socket.gaierror):
        return TransportError(
            f"server {name}: cannot resolve {where}: {error.strerror}"
        )
    return TransportError(
        f"server {name}: cannot talk SSH with {where}: {_cause(error)}"
    )


def _is_timeout(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(error)
    return isinstance(error, paramiko.SSHException) and any(
        marker in text for marker in _HANDSHAKE_TIMEOUT_TEXTS
    )


def _cause(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, EOFError):
        return "the server closed the connection"
    return str(error) or type(error).__name__
