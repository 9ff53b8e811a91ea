"""Schema migrations: run the Alembic scripts shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from ssop.core.store.db import create_sqlite_file, translate_errors

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``, creating a MySQL database if missing.

    Raises:
        StoreUnreachable, StoreError: the database failed.
    """
    ensure_database(engine)
    with translate_errors(engine):
        command.upgrade(_config(engine), revision)


def current(engine: Engine) -> str | None:
    with translate_errors(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    """The newest revision among the shipped scripts."""
    head_rev = ScriptDirectory.from_config(_config_without_engine()).get_current_head()
    assert head_rev is not None
    return head_rev


def _config_without_engine() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def ensure_database(engine: Engine) -> None:
    """Create the database named in the URL when it does not exist: a SQLite
    file (0600 in a 0700 folder) or a MySQL/MariaDB database."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        create_sqlite_file(Path(str(url.database)))
        return
    if url.get_backend_name() not in ("mysql", "mariadb") or not url.database:
        return
    from sqlalchemy import create_engine

    server = create_engine(make_url(url).set(database=""), pool_pre_ping=True)
    try:
        with translate_errors(server), server.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote_identifier(url.database)
            conn.execute(
                text(f"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4")
            )
    finally:
        server.dispose()
