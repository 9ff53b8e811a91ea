"""Where the store's schema stands, read without loading Alembic.

Every command and the daemon check this before touching the store; Alembic
(and Mako with it, ~11 MB) is imported only to actually migrate.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from ssop.core.store.db import translate_errors

# The newest migration in store/migrations/versions; a test checks it
# against the scripts, so a new migration cannot ship without bumping it.
SCHEMA_HEAD = "0012"
VERSION_TABLE = "alembic_version"


def current(engine: Engine) -> str | None:
    """The revision the store is at; None when it was never migrated."""
    with translate_errors(engine), engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
