"""Engines and sessions for SQLite and MySQL/MariaDB, with errors translated.

There is no module-level engine: the composition root builds one per process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from ssop.core.errors import (
    ConfigError,
    PermissionDenied,
    StoreError,
    StoreUnreachable,
)

SessionFactory = Callable[[], Session]


def create_engine_for(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, and never a file by connecting.

    A missing SQLite file is ``StoreMissing`` on first connect: only
    ``create_sqlite_file`` (through ``ssop init`` / ``db upgrade``) makes one.

    Raises:
        ConfigError: the URL is malformed or names an unsupported driver.
    """
    from sqlalchemy import create_engine

    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"database URL is not valid: {describe(url)}") from e
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    try:
        return create_engine(url, pool_pre_ping=True, pool_recycle=3600)
    except ImportError as e:
        raise _missing_driver(parsed.get_driver_name(), e) from e
    except ArgumentError as e:
        raise ConfigError(f"database URL {describe(url)}: {e}") from e


def _missing_driver(driver: str, error: ImportError) -> ConfigError:
    if driver == "mysqldb":
        return ConfigError(
            "the MySQL driver (mysqlclient) is not installed",
            hint="install ssop with its mysql extra: pip install -e '.[mysql]' "
            "(needs pkg-config, libmariadb-dev and a C compiler)",
        )
    return ConfigError(f"the database driver {driver} is not installed ({error})")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    from sqlalchemy import create_engine

    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}
    )
    if database and database != ":memory:":
        event.listen(engine, "do_connect", _refuse_missing(Path(database)))
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _refuse_missing(path: Path) -> Callable[..., None]:
    # sqlite3.connect() creates whatever it is given, folders aside: a typo in
    # the path would become a new, empty store (as root, anywhere).
    def check(*_: Any) -> None:
        if not path.exists():
            raise StoreMissing(f"no store at {path}", hint="run: ssop init")

    return check


def create_sqlite_file(path: Path) -> bool:
    """Create an empty SQLite store, 0600 in a 0700 folder; False if it exists.

    Raises:
        PermissionDenied: the folder or the file cannot be created.
        StoreError: another file-system error.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except PermissionError as e:
        raise PermissionDenied(
            f"cannot create the store {path}: {e.strerror} ({e.filename})",
            hint="run as a user who may write there, or set database.url",
        ) from e
    except OSError as e:
        raise StoreError(f"cannot create the store {path}: {e.strerror}") from e
    os.close(fd)
    return True


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def session_factory(engine: Engine) -> SessionFactory:
    # sqlmodel's Session adds .exec(), which every repo uses.
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def check_reachable(engine: Engine) -> None:
    """Open one connection.

    Raises:
        StoreUnreachable: the server cannot be reached; names host and port.
    """
    with translate_errors(engine), engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@contextmanager
def translate_errors(engine: Engine) -> Iterator[None]:
    """Turn SQLAlchemy errors into ssop errors that never show a password."""
    try:
        yield
    except OperationalError as e:
        if _error_code(e) == 1049:
            raise DatabaseMissing(
                f"the database {engine.url.database!r} does not exist",
                hint="run: ssop init (or ssop db upgrade) to create it",
            ) from e
        if _is_connection_error(e):
            url = engine.url
            where = f"{url.host}:{url.port or 3306}" if url.host else describe(str(url))
            raise StoreUnreachable(
                f"cannot reach the database at {where} ({_reason(e)})",
                hint="check the server runs and the URL is right (ssop config show)",
            ) from e
        raise StoreError(f"database error: {_reason(e)}") from e
    except DBAPIError as e:
        raise StoreError(f"database error: {_reason(e)}") from e
    except SQLAlchemyError as e:
        raise StoreError(f"database error: {type(e).__name__}") from e


class DatabaseMissing(StoreError):
    """The server answers, but the database named in the URL does not exist."""


class StoreMissing(DatabaseMissing):
    """The SQLite file named in the URL does not exist."""


def _error_code(e: OperationalError) -> object:
    return e.orig.args[0] if e.orig is not None and e.orig.args else None


def _is_connection_error(e: OperationalError) -> bool:
    # MySQL client codes: 2002 socket, 2003 can't connect, 2005 unknown host,
    # 2006/2013 gone away / lost, 1045 access denied.
    return _error_code(e) in {2002, 2003, 2005, 2006, 2013, 1045}


def _reason(e: DBAPIError) -> str:
    orig = e.orig
    if orig is not None and len(orig.args) >= 2:
        return str(orig.args[1]).splitlines()[0]
    return str(orig).splitlines()[0] if orig is not None else type(e).__name__
