"""The two key decisions behind a server: seal its private key for storage,
and accept (or refuse) the host key it presents before that key is pinned."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ssop.core.errors import (
    HostKeyMismatch,
    HostKeyUnknown,
    InvalidInput,
    TransportError,
)
from ssop.core.transport.base import HostKey
from ssop.core.transport.connection_spec import ConnectionSpec

if TYPE_CHECKING:
    from ssop.core.fleet.server_input import HostKeyDecision, KeySource
    from ssop.core.secrets.secretbox import SecretBox

log = logging.getLogger(__name__)

HostKeyScanner = Callable[[str, int, float], HostKey]
# (the last jump host, host, port, timeout): scans through the jump
JumpScanner = Callable[[ConnectionSpec, str, int, float], HostKey]


@dataclass(frozen=True)
class SealedKey:
    """A private key as stored: ciphertexts and the public fingerprint."""

    key_ciphertext: str
    passphrase_ciphertext: str | None
    fingerprint: str


def seal_key(source: KeySource, box: Callable[[], SecretBox]) -> SealedKey:
    """Read and check a key file, and encrypt it (and its passphrase).

    The passphrase is kept only if the key needs it.

    Raises:
        InvalidInput: the file is missing, unreadable or no private key, or
            the passphrase is missing or wrong; the message names the file.
        ConfigError: no usable master key.
    """
    from ssop.core.transport.keys import public_key_fingerprint

    pem = source.read()
    passphrase = source.passphrase or None
    try:
        try:
            fingerprint = public_key_fingerprint(pem, None)
            passphrase = None
        except InvalidInput:
            if passphrase is None:
                raise
            fingerprint = public_key_fingerprint(pem, passphrase)
    except InvalidInput as e:
        raise InvalidInput(f"key file {source.path}: {e.message}", _hint(e)) from e
    sealer = box()
    secret = sealer.encrypt(passphrase) if passphrase else None
    return SealedKey(sealer.encrypt(pem), secret, fingerprint)


@dataclass(frozen=True)
class HostKeyGate:
    """Reads the key a server presents and lets it through only as decided."""

    scan: HostKeyScanner
    timeout: float
    through: JumpScanner | None = None

    def accept(
        self,
        name: str,
        host: str,
        port: int,
        decision: HostKeyDecision,
        via: ConnectionSpec | None = None,
    ) -> HostKey:
        """The presented key, if ``decision`` accepts it; read through the
        jump host ``via`` when one is given.

        Raises:
            HostKeyMismatch: it is not the fingerprint the decision expects.
            HostKeyUnknown: nothing accepted it.
            TransportError: the server could not be reached.
        """
        presented = self._scan(name, host, port, via)
        shown = f"{presented.key_type} {presented.fingerprint}"
        if decision.accept_fingerprint is not None:
            if decision.accept_fingerprint != presented.fingerprint:
                raise HostKeyMismatch(
                    f"server {name}: {host}:{port} presents host key "
                    f"{presented.fingerprint}, not the expected "
                    f"{decision.accept_fingerprint}; nothing was pinned"
                )
            return presented
        if decision.trust_on_first_use:
            log.warning("server %s: trusting host key %s on first use", name, shown)
            return presented
        if decision.confirm is not None and decision.confirm(presented):
            return presented
        raise HostKeyUnknown(
            f"server {name}: host key {shown} was not accepted; nothing was stored",
            hint="check it out of band, then pass --accept-host-key "
            f"{presented.fingerprint} (or answer the prompt at a terminal)",
        )

    def _scan(
        self, name: str, host: str, port: int, via: ConnectionSpec | None
    ) -> HostKey:
        try:
            if via is None:
                return self.scan(host, port, self.timeout)
            if self.through is None:
                raise TransportError(
                    f"server {host}:{port}: cannot read host keys through a jump host"
                )
            return self.through(via, host, port, self.timeout)
        except TransportError as e:
            # the scanner knows only the address; say which server it was
            message = e.message.removeprefix(f"server {host}:{port}: ")
            raise type(e)(f"server {name}: {message}", e.hint) from e


def _hint(error: InvalidInput) -> str | None:
    if "no passphrase was given" in error.message:
        return "give the passphrase on stdin: --passphrase-stdin"
    return error.hint
