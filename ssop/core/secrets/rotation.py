"""Rotating the master key: every stored secret re-encrypted under a new key.

No downtime: the key file first holds the new key followed by the old ones,
so every process (each reads the file per use) opens old and new ciphertexts
alike; then all stored secrets are re-encrypted in one transaction; then the
file is rewritten with the new key alone. A key given by settings
(SSOP_SECRET_KEY, app.secret_key) cannot be rewritten by ssop: with
several keys there, the secrets are re-encrypted under the first, and with
one the rotation is refused with the steps to follow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.loader import LoadedConfig
from ssop.core.errors import ConfigError, StoreError
from ssop.core.models import Server
from ssop.core.secrets.master_key import (
    generate_master_key,
    load_master_keys,
    write_master_keys,
)
from ssop.core.secrets.secretbox import SecretBox
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo

log = logging.getLogger(__name__)

SETTINGS = Capability.SETTINGS_WRITE
# Rounds of re-encrypting stragglers: rows written meanwhile by a process
# that read the key file before it gained the new key.
VERIFY_ROUNDS = 3


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did; never any key."""

    servers: int
    secrets: int
    key_file: Path | None  # rewritten; None when the keys come from settings
    retired_keys: int  # old keys dropped from the file, or to drop from settings
    source: str


class SecretsService:
    def __init__(
        self, config: LoadedConfig, sessions: SessionFactory, clock: Clock
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("secrets.rotate", "master key")
    def rotate(self, who: Principal) -> RotationReport:
        """Re-encrypt every stored secret under a new (or the first) master key.

        Raises:
            PermissionDenied: the caller lacks settings.write.
            ConfigError: no usable master key, a key file others can read, or
                a single key given by settings (the message says what to do).
            StoreError: a stored secret opens with none of the keys; nothing
                was changed.
        """
        self._require(who)
        keys = load_master_keys(self.config)
        self._check_all_open(SecretBox(keys))
        override = self.config.settings.app.secret_key
        if override is not None and override.get_secret_value().strip():
            return self._rotate_settings(who, keys)
        return self._rotate_file(who, keys)

    def _rotate_file(self, who: Principal, old: list[bytes]) -> RotationReport:
        path = self.config.paths.secret_key_file
        new = generate_master_key()
        write_master_keys(path, [new, *old])
        source = f"key file {path}"
        servers, count = self._reencrypt(who, SecretBox([new, *old]), source)
        self._settle(SecretBox([new]), SecretBox([new, *old]))
        write_master_keys(path, [new])
        log.info("secrets: rotated the master key in %s (%d secrets)", path, count)
        return RotationReport(servers, count, path, len(old), source)

    def _rotate_settings(self, who: Principal, keys: list[bytes]) -> RotationReport:
        origin = self.config.origin("app.secret_key")
        if len(keys) < 2:
            raise ConfigError(
                f"the master key comes from {origin}: ssop cannot rewrite it",
                hint=f"run `ssop secrets new-key`, set {_setting(origin)} to "
                "NEW,OLD for every ssop process, run `ssop secrets rotate` again, "
                "then set it to NEW alone",
            )
        source = f"the first key of {origin}"
        servers, count = self._reencrypt(who, SecretBox(keys), source)
        self._settle(SecretBox(keys[:1]), SecretBox(keys))
        return RotationReport(servers, count, None, len(keys) - 1, source)

    def _require(self, who: Principal) -> None:
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, SETTINGS)

    def _check_all_open(self, box: SecretBox) -> None:
        with self.sessions() as s:
            for server in ServerRepo(s).with_key_material():
                for token in sealed_tokens(server):
                    try:
                        box.decrypt(token)
                    except StoreError as e:
                        raise StoreError(
                            f"server {server.name}: its stored key opens with none "
                            "of the master keys; nothing was changed",
                            hint="restore the master key it was stored with",
                        ) from e

    def _reencrypt(
        self, who: Principal, box: SecretBox, source: str
    ) -> tuple[int, int]:
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, SETTINGS)
            servers = ServerRepo(s).with_key_material(lock=True)
            count = sum(_rotate_row(box, server) for server in servers)
            s.add_all(servers)
            detail = f"re-encrypted {count} secrets of {len(servers)} servers; {source}"
            record_in(s, now, current.actor, "secrets.rotate", "master key", detail)
        return len(servers), count

    def _settle(self, new_only: SecretBox, both: SecretBox) -> None:
        """Re-encrypt rows still under an old key, until none is left."""
        for _ in range(VERIFY_ROUNDS):
            with self.sessions() as s, s.begin():
                servers = ServerRepo(s).with_key_material(lock=True)
                stale = [x for x in servers if not opens_all(new_only, x)]
                if not stale:
                    return
                for server in stale:
                    _rotate_row(both, server)
                s.add_all(stale)
            log.warning("secrets: re-encrypted %d rows written meanwhile", len(stale))
        raise StoreError(
            "servers keep being written under the old master key; "
            "both keys stay in place",
            hint="stop other ssop processes, then run: ssop secrets rotate",
        )


def sealed_tokens(server: Server) -> list[str]:
    return [t for t in (server.key_ciphertext, server.passphrase_ciphertext) if t]


def _rotate_row(box: SecretBox, server: Server) -> int:
    if server.key_ciphertext:
        server.key_ciphertext = box.rotate(server.key_ciphertext)
    if server.passphrase_ciphertext:
        server.passphrase_ciphertext = box.rotate(server.passphrase_ciphertext)
    return len(sealed_tokens(server))


def opens_all(box: SecretBox, server: Server) -> bool:
    try:
        for token in sealed_tokens(server):
            box.decrypt(token)
    except StoreError:
        return False
    return True


def _setting(origin: str) -> str:
    return (
        origin.removeprefix("env ")
        if origin.startswith("env ")
        else (f"app.secret_key ({origin})")
    )
