"""Schema upgrades, seeding of defaults, and store housekeeping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import DEFAULT_MATRIX, Capability, Principal
from ssop.core.audit import refusals_audited
from ssop.core.clock import Clock, SystemClock
from ssop.core.errors import InvalidInput, PermissionDenied, StoreError
from ssop.core.models.types import utcnow
from ssop.core.store.db import (
    DatabaseMissing,
    SessionFactory,
    check_reachable,
    translate_errors,
)
from ssop.core.store.role_repo import RoleRepo
from ssop.core.store.schema_version import SCHEMA_HEAD, current
from ssop.core.store.user_repo import UserRepo

log = logging.getLogger(__name__)

Seeder = Callable[[Session], object]


def _seed_roles(session: Session) -> object:
    grants = [(r, c) for r, caps in DEFAULT_MATRIX.items() for c in sorted(caps)]
    return RoleRepo(session).seed_defaults(grants)


def _sync_builtin_actions(session: Session) -> object:
    from ssop.core.actions.stored import sync_builtins

    return sync_builtins(session)


# Each seeder is idempotent: it adds what is missing and updates built-ins.
SEEDERS: list[Seeder] = [_seed_roles, _sync_builtin_actions]


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


class StoreService:
    def __init__(
        self, engine: Engine, sessions: SessionFactory, clock: Clock | None = None
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock: Clock = clock or SystemClock()

    @refusals_audited("db.upgrade", "schema")
    def upgrade_by(self, who: Principal | None) -> SchemaStatus:
        """``ssop db upgrade``: once the store has users, only for settings.write.

        A store without users (new, or never initialised) is anyone's to
        migrate, as with ``ssop init``.

        Raises:
            PermissionDenied: the store has users and the caller is not
                logged in or lacks settings.write.
            StoreUnreachable, StoreError: as for ``upgrade``.
        """
        if self.has_users():
            if who is None:
                raise PermissionDenied(
                    "upgrading the store needs a login with settings.write",
                    hint="run: ssop login",
                )
            with translate_errors(self.engine), self.sessions() as s, s.begin():
                require_in(s, self.clock.now(), who, Capability.SETTINGS_WRITE)
        return self.upgrade()

    def has_users(self) -> bool:
        """Whether the store was initialised with at least one user."""
        if self.status().current is None:
            return False
        with translate_errors(self.engine), self.sessions() as s:
            return UserRepo(s).count() > 0

    def upgrade(self) -> SchemaStatus:
        """Apply pending migrations, then seed defaults.

        Raises:
            StoreUnreachable: the database cannot be reached.
            StoreError: a migration failed.
        """
        from ssop.core.store import migrate  # Alembic: only to migrate

        before = self.status()
        migrate.upgrade(self.engine)
        self.seed()
        after = self.status()
        log.info("store: schema %s -> %s", before.current, after.current)
        return after

    def seed(self) -> None:
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            for seeder in SEEDERS:
                seeder(s)

    def status(self) -> SchemaStatus:
        """Where the schema stands; a database or file not created yet is empty."""
        try:
            return self._status()
        except DatabaseMissing:
            return SchemaStatus(None, SCHEMA_HEAD)

    def _status(self) -> SchemaStatus:
        check_reachable(self.engine)
        return SchemaStatus(current(self.engine), SCHEMA_HEAD)

    def require_current(self) -> None:
        """Raises StoreError when the store, its schema, is missing or behind
        (``DatabaseMissing`` names the file or database that does not exist)."""
        status = self._status()
        if status.current is None:
            raise StoreError("the store is not initialised", hint="run: ssop init")
        if not status.up_to_date:
            raise StoreError(
                f"the store schema is at {status.current}, "
                f"this ssop needs {status.head}",
                hint="run: ssop db upgrade",
            )

    def sqlite_file(self) -> Path | None:
        """The database file when the store is a SQLite file, else None."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).resolve()

    def prune(self, days: int, *, now: datetime | None = None) -> int:
        """Apply the retention: delete history older than ``days``; rows deleted.

        See ``prune_counts``; the audit trail is never pruned.

        Raises:
            InvalidInput: ``days`` is below 1.
            StoreUnreachable, StoreError: the database failed.
        """
        return sum(self.prune_counts(days, now=now).values())

    def prune_counts(self, days: int, *, now: datetime | None = None) -> dict[str, int]:
        """Delete metric samples, custom outputs and crawl errors older than
        ``days`` (the newest sample of each server stays); rows per table."""
        if days < 1:
            raise InvalidInput(f"retention must be at least 1 day, got {days}")
        cutoff = (now or utcnow()) - timedelta(days=days)
        with translate_errors(self.engine):
            from ssop.core.store.metric_repo import prune_history

            counts = prune_history(self.sessions, cutoff)
        log.info("store: pruned %s older than %s", counts, cutoff.isoformat())
        return counts
