"""Authenticated encryption of secrets at rest (SSH private keys, passphrases).

The first master key encrypts; every key decrypts, so a rotation can add a
new key, re-encrypt, then drop the old one without downtime.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ssop.core.errors import ConfigError, StoreError


class SecretBox:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ConfigError("no master key is configured", hint="run: ssop init")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as e:
            raise ConfigError("the master key is not a valid Fernet key") from e

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Raises StoreError when no configured key opens ``token``."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as e:
            raise StoreError(
                "a stored secret cannot be decrypted with the configured master key",
                hint="was the master key replaced without `ssop secrets rotate`?",
            ) from e

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first (newest) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as e:
            raise StoreError("a stored secret cannot be decrypted for rotation") from e
