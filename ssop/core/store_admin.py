"""Schema upgrades, seeding of defaults, and store housekeeping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.errors import StoreError
from ssop.core.store import migrate
from ssop.core.store.db import (
    DatabaseMissing,
    SessionFactory,
    check_reachable,
    translate_errors,
)
from ssop.core.store.role_repo import RoleRepo

log = logging.getLogger(__name__)

Seeder = Callable[[Session], object]


def _seed_roles(session: Session) -> object:
    return RoleRepo(session).seed_defaults()


def _sync_builtin_actions(session: Session) -> object:
    from ssop.core.store.action_repo import ActionRepo

    return ActionRepo(session).sync_builtins()


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
    def __init__(self, engine: Engine, sessions: SessionFactory) -> None:
        self.engine = engine
        self.sessions = sessions

    def upgrade(self) -> SchemaStatus:
        """Apply pending migrations, then seed defaults.

        Raises:
            StoreUnreachable: the database cannot be reached.
            StoreError: a migration failed.
        """
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
        """Where the schema stands; a MySQL database not created yet is empty."""
        try:
            check_reachable(self.engine)
        except DatabaseMissing:
            return SchemaStatus(None, migrate.head())
        return SchemaStatus(migrate.current(self.engine), migrate.head())

    def require_current(self) -> None:
        """Raises StoreError when the schema is missing or behind."""
        status = self.status()
        if status.current is None:
            raise StoreError("the store is not initialised", hint="run: ssop init")
        if not status.up_to_date:
            raise StoreError(
                f"the store schema is at {status.current}, this ssop needs {status.head}",
                hint="run: ssop db upgrade",
            )

    def sqlite_file(self) -> Path | None:
        """The database file when the store is a SQLite file, else None."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).resolve()

    def prune(self, days: int) -> int:
        """Delete samples, crawl errors and events older than ``days``; rows deleted.

        Nothing to prune yet: the crawl work adds the tables this cleans.
        """
        log.debug("store: prune older than %d days: no prunable tables yet", days)
        return 0
