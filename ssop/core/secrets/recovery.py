"""When the master key no longer opens what it sealed: notice it, and start over.

``check`` answers ``ssop health``: does the key open every stored secret?
``reset`` is ``ssop secrets reset``: drop every sealed private key and
passphrase (the servers stay; each gets its key again with ``ssop server edit
NAME --key-file``), audited. ``refuse_new_key`` keeps ``ssop init`` from
creating a new key while the store holds secrets sealed with another one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal, Role
from ssop.core.audit import record_in
from ssop.core.clock import Clock
from ssop.core.errors import ConfigError, PermissionDenied, StoreError
from ssop.core.secrets.rotation import opens_all, sealed_tokens
from ssop.core.secrets.secretbox import SecretBox
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.server_repo import ServerRepo

log = logging.getLogger(__name__)

RECOVERY = (
    "restore the master key file from a backup (or set SSOP_SECRET_KEY to the "
    "old key), or drop the sealed keys with: ssop secrets reset"
)


@dataclass(frozen=True)
class SealedSecrets:
    """Which servers hold sealed secrets, and how many; never the secrets."""

    servers: tuple[str, ...]
    secrets: int


def refuse_new_key(s: Session, key_file: Path) -> None:
    """Raise ConfigError if the store holds sealed secrets: a new key at
    ``key_file`` could not open them."""
    names = ServerRepo(s).names_with_key_material()
    if names:
        raise ConfigError(
            f"no master key at {key_file}, but the store holds the sealed keys of "
            f"{len(names)} server(s) ({_some(names)}); a new key would not open "
            "them, so none was created",
            hint=RECOVERY,
        )


class SealedSecretsService:
    def __init__(
        self,
        engine: Engine,
        sessions: SessionFactory,
        clock: Clock,
        box: Callable[[], SecretBox],
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.box = box

    def summary(self, who: Principal) -> SealedSecrets:
        """What ``reset`` would drop (admin only).

        Raises:
            PermissionDenied: the caller is not an admin with settings.write.
        """
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            _require_admin(s, self.clock, who)
            return _sealed(ServerRepo(s))

    def reset(self, who: Principal) -> SealedSecrets:
        """Drop every sealed key and passphrase, audited; what was dropped.

        Raises:
            PermissionDenied: the caller is not an admin with settings.write.
        """
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = _require_admin(s, self.clock, who)
            repo = ServerRepo(s)
            dropped = _sealed(repo)
            repo.drop_key_material()
            detail = f"dropped {dropped.secrets} secrets of {_some(dropped.servers)}"
            record_in(s, now, current.actor, "secrets.reset", "sealed keys", detail)
        log.warning("secrets: %s dropped the sealed keys", current.actor)
        return dropped

    def check(self) -> str:
        """Open every stored secret with the master key; says how many opened.

        Raises:
            ConfigError: secrets are stored and the master key is missing,
                exposed or invalid.
            StoreError: some stored secrets do not open; names their servers.
        """
        with translate_errors(self.engine), self.sessions() as s:
            servers = ServerRepo(s).with_key_material()
        if not servers:
            return "no secrets stored"
        box = self.box()
        closed = [x.name for x in servers if not opens_all(box, x)]
        if closed:
            raise StoreError(
                f"the master key does not open the stored keys of {len(closed)} "
                f"server(s): {_some(closed)}",
                hint=RECOVERY,
            )
        count = sum(len(sealed_tokens(x)) for x in servers)
        return f"opens the {count} stored secret(s) of {len(servers)} server(s)"


def _require_admin(s: Session, clock: Clock, who: Principal) -> Principal:
    current = require_in(s, clock.now(), who, Capability.SETTINGS_WRITE)
    if current.role is not Role.ADMIN:
        raise PermissionDenied(
            f"permission denied: {current.actor} (role {current.role}) is not an admin"
        )
    return current


def _sealed(repo: ServerRepo) -> SealedSecrets:
    servers = repo.with_key_material()
    count = sum(len(sealed_tokens(x)) for x in servers)
    return SealedSecrets(tuple(sorted(x.name for x in servers)), count)


def _some(names: tuple[str, ...] | list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
