"""Host-key checking for asyncssh, and its failures as ssop's TransportErrors.

``HostKeyWitness`` accepts exactly the pinned key and remembers any other
key the server presents, so the refusal can name both fingerprints.
"""

from __future__ import annotations

import base64
import socket

import asyncssh

from ssop.core.errors import (
    AuthFailed,
    CommandTimeout,
    InvalidInput,
    SsopError,
    TransportError,
)
from ssop.core.transport.base import Endpoint, HostKey
from ssop.core.transport.keys import fingerprint_of
from ssop.core.transport.refusals import mismatched_host_key, unknown_host_key

KnownHosts = tuple[list[asyncssh.SSHKey], list[asyncssh.SSHKey], list[asyncssh.SSHKey]]


class SessionLost(Exception):
    """The connection closed under a running command."""


class HostKeyWitness:
    """Accepts the pinned host key only; remembers a different one presented.

    Raises (on construction):
        TransportError: the stored pin is not a usable public key.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.name = endpoint.name
        self.pinned = endpoint.pinned_host_key
        self.presented: HostKey | None = None
        self._pinned_key = _import_pin(endpoint) if self.pinned else None

    def client(self) -> asyncssh.SSHClient:
        return _WitnessClient(self)

    def known_hosts(self) -> KnownHosts:
        """(trusted host keys, trusted CAs, revoked keys) for asyncssh."""
        trusted = [self._pinned_key] if self._pinned_key is not None else []
        return trusted, [], []

    def host_key_algorithms(self) -> list[str] | tuple[()]:
        """Ask for the pinned key's type, so a server holding several host
        keys shows the one that was pinned; asyncssh's defaults otherwise."""
        if self._pinned_key is None:
            return ()
        return [alg.decode("ascii") for alg in self._pinned_key.sig_algorithms]

    def saw(self, key: asyncssh.SSHKey) -> None:
        key_type = key.get_algorithm()
        blob = base64.b64encode(key.public_data).decode("ascii")
        try:
            self.presented = HostKey(key_type, blob, fingerprint_of(key_type, blob))
        except InvalidInput:
            self.presented = None  # refused as unreadable below

    def refusal(self) -> SsopError | None:
        """The error for the key the server presented, when one was seen."""
        if self.presented is None:
            return None
        if self.pinned is None:
            return unknown_host_key(self.name, self.presented)
        return mismatched_host_key(
            self.name, self.pinned.fingerprint, self.presented.fingerprint
        )


class _WitnessClient(asyncssh.SSHClient):
    def __init__(self, witness: HostKeyWitness) -> None:
        self._witness = witness

    def validate_host_public_key(
        self, host: str, _addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        # asks only about keys that are not the pinned one: never trusted
        self._witness.saw(key)
        return False


def _import_pin(endpoint: Endpoint) -> asyncssh.SSHKey:
    pinned = endpoint.pinned_host_key
    assert pinned is not None
    try:
        fingerprint_of(pinned.key_type, pinned.base64)
        return asyncssh.import_public_key(f"{pinned.key_type} {pinned.base64}")
    except (InvalidInput, asyncssh.KeyImportError) as e:
        raise TransportError(
            f"server {endpoint.name}: the pinned host key is not a usable "
            f"{pinned.key_type} key",
            hint=f"pin it again: ssop server trust {endpoint.name} --fingerprint ...",
        ) from e


def translate_connect_error(
    error: BaseException, witness: HostKeyWitness, where: str, timeout: float
) -> SsopError:
    """The error for a failure while connecting or logging in."""
    name = witness.name
    if isinstance(error, asyncssh.HostKeyNotVerifiable):
        return witness.refusal() or TransportError(
            f"server {name}: {where} presented a host key that cannot be read"
        )
    if isinstance(error, asyncssh.PermissionDenied):
        return AuthFailed(f"server {name}: {where} refused our key ({error.reason})")
    if isinstance(error, TimeoutError):
        return CommandTimeout(
            f"server {name}: no SSH handshake with {where} within {timeout:g}s"
        )
    if isinstance(error, ConnectionRefusedError):
        return TransportError(f"server {name}: connection refused by {where}")
    if isinstance(error, socket.gaierror):
        return TransportError(
            f"server {name}: cannot resolve {where}: {error.strerror}"
        )
    return TransportError(
        f"server {name}: cannot talk SSH with {where}: {_cause(error)}"
    )


def translate_session_error(
    error: BaseException, name: str, doing: str
) -> TransportError:
    """The error for a failure on an established connection."""
    return TransportError(
        f"server {name}: connection lost while {doing}: {_cause(error)}"
    )


def _cause(error: BaseException) -> str:
    if isinstance(error, asyncssh.DisconnectError) and error.reason:
        return error.reason
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
