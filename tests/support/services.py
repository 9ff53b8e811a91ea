"""Real MariaDB and Redis for tests: per-run databases, cleaned around each test."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import ssop.core.models  # noqa: F401
from ssop.core.models import load_all
from ssop.core.store import migrate
from ssop.core.store.db import create_engine_for

MARIADB_SERVER = "mysql+mysqldb://root@127.0.0.1:3306"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379

MARIADB_HINT = (
    "MariaDB is not answering on 127.0.0.1:3306 (root, empty password). Start it with: "
    "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
)
REDIS_HINT = (
    "Redis is not answering on 127.0.0.1:6379. "
    "Start it with: redis-server --daemonize yes "
    '--bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)


def create_mariadb_database() -> str:
    """Create ``ssop_test_<random>`` with the migrations applied; return its URL."""
    name = f"ssop_test_{uuid.uuid4().hex[:10]}"
    server = create_engine(MARIADB_SERVER + "/")
    try:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    except Exception as e:  # any failure here means the service is missing
        pytest.fail(f"{MARIADB_HINT} ({e.__class__.__name__}: {e})", pytrace=False)
    finally:
        server.dispose()
    url = f"{MARIADB_SERVER}/{name}"
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def drop_mariadb_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = create_engine(MARIADB_SERVER + "/")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    server.dispose()


def create_sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    engine = create_engine_for(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def sqlite_copy(template: Path, folder: Path) -> str:
    target = folder / "ssop.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def empty_config_file(folder: Path) -> str:
    """An empty config file for SSOP_CONFIG (a named file must exist), and
    one that keeps a system-wide /etc/ssop/ssop.toml out of the test."""
    path = folder / "ssop.toml"
    path.touch(mode=0o600)
    return str(path)


def clean_tables(engine: Engine) -> None:
    """Delete every row (children first), keeping the schema and alembic_version."""
    load_all()
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


def redis_client(db: int):  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
    try:
        client.ping()
    except redis.RedisError as e:
        pytest.fail(f"{REDIS_HINT} ({e})", pytrace=False)
    return client


CLAIM_KEY = "pytest:claimed-by"


def claim_redis_database() -> int:
    """Take the first Redis database 1-15 that no other test process has claimed."""
    for db in range(1, 16):
        client = redis_client(db)
        try:
            if client.set(CLAIM_KEY, str(os.getpid()), nx=True, ex=6 * 3600):
                return db
        finally:
            client.close()
    pytest.fail(
        "every Redis database 1-15 is claimed by another test run", pytrace=False
    )


def release_redis_database(db: int) -> None:
    client = redis_client(db)
    client.flushdb()
    client.close()


def flush_keeping_claim(client) -> None:  # type: ignore[no-untyped-def]
    # One transaction: between a plain FLUSHDB and SET another test process
    # could claim the emptied database and share it with this one.
    owner = client.get(CLAIM_KEY)
    pipe = client.pipeline(transaction=True)
    pipe.flushdb()
    if owner is not None:
        pipe.set(CLAIM_KEY, owner, ex=6 * 3600)
    pipe.execute()


def sshd_binary() -> str:
    path = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(path).exists():
        pytest.fail(
            "OpenSSH server not found: install the Debian package openssh-server",
            pytrace=False,
        )
    return path


def mariadb_answers() -> bool:
    return (
        subprocess.run(["mariadb-admin", "ping"], capture_output=True).returncode == 0
    )
