"""The store behaves the same on SQLite and MariaDB."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from ssop.core.accounts.permissions import DEFAULT_MATRIX, Capability, Role
from ssop.core.errors import ConfigError, StoreError, StoreUnreachable
from ssop.core.models import AuditEvent, RoleCapability
from ssop.core.ops.store_admin import StoreService
from ssop.core.store import migrate, schema_version
from ssop.core.store.db import (
    StoreMissing,
    check_reachable,
    create_engine_for,
    create_sqlite_file,
    describe,
    session_factory,
)
from ssop.core.store.role_repo import RoleRepo


def test_migrations_reach_head_and_create_tables(store_engine: Engine) -> None:
    assert migrate.current(store_engine) == migrate.head()
    tables = set(inspect(store_engine).get_table_names())
    assert {
        "users",
        "role_capabilities",
        "audit_events",
        "servers",
        "executions",
    } <= tables


def test_the_schema_head_constant_names_the_newest_migration() -> None:
    # on failure: a migration was added; set SCHEMA_HEAD to its revision
    assert migrate.head() == schema_version.SCHEMA_HEAD


def test_the_schema_version_reads_as_alembic_does(store_engine: Engine) -> None:
    assert schema_version.current(store_engine) == migrate.current(store_engine)
    assert schema_version.current(store_engine) == schema_version.SCHEMA_HEAD


def test_a_store_never_migrated_has_no_version(tmp_path: Path) -> None:
    assert create_sqlite_file(tmp_path / "empty.db")
    engine = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert schema_version.current(engine) is None
    finally:
        engine.dispose()


def test_connecting_never_creates_a_sqlite_store(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "ssop.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with pytest.raises(StoreMissing, match=f"no store at {path}"):
            check_reachable(engine)
        with pytest.raises(StoreError, match=f"no store at {path}"):
            StoreService(engine, session_factory(engine)).require_current()
        assert StoreService(engine, session_factory(engine)).status().current is None
    finally:
        engine.dispose()
    assert not path.parent.exists()


def test_upgrade_creates_the_sqlite_file_0600_in_a_0700_folder(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "ssop" / "ssop.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        StoreService(engine, session_factory(engine)).upgrade()
    finally:
        engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not create_sqlite_file(path)  # an existing file is left alone


def test_checking_the_schema_does_not_load_alembic(store_engine: Engine) -> None:
    # ~11 MB the daemon would carry all day for one version check
    check = (
        "import sys\n"
        "from sqlalchemy import create_engine\n"
        "from sqlmodel import Session\n"
        "from ssop.core.ops.store_admin import StoreService\n"
        f"engine = create_engine({store_engine.url.render_as_string(False)!r})\n"
        "StoreService(engine, lambda: Session(engine)).require_current()\n"
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_migrations_build_what_the_models_describe(store_engine: Engine) -> None:
    # on failure: a model changed without a migration (or the reverse)
    with store_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_audit_outcome_migration_keeps_every_row(store_engine: Engine) -> None:
    config = migrate._config(store_engine)
    command.downgrade(config, "0005")
    try:
        with store_engine.begin() as conn:
            for event, ok in [("login", True), ("login.failed", False)]:
                conn.execute(
                    text(
                        "INSERT INTO audit_events"
                        " (at, actor, event, target, detail, ok)"
                        " VALUES (:at, 'x', :event, 't', 'd', :ok)"
                    ),
                    {"at": "2026-01-01 00:00:00", "event": event, "ok": ok},
                )
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, actor, event, target, detail, ok)"
                    " VALUES ('2026-01-01 00:00:00', 'y', 'notify.failed', 'u', 'e',"
                    " :f)"
                ),
                {"f": False},
            )
    finally:
        migrate.upgrade(store_engine)
    with Session(store_engine) as s:
        rows = s.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [(r.actor, r.event, r.detail, r.ok, r.outcome) for r in rows] == [
        ("x", "login", "d", True, "ok"),
        ("x", "login.failed", "d", False, "denied"),
        ("y", "notify.failed", "e", False, "failed"),
    ]


def test_upgrade_twice_is_harmless(store_engine: Engine) -> None:
    migrate.upgrade(store_engine)
    assert migrate.current(store_engine) == migrate.head()


def test_datetimes_round_trip_as_aware_utc_with_microseconds(
    store_engine: Engine,
) -> None:
    plus_two = timezone(timedelta(hours=2))
    at = datetime(2026, 3, 1, 14, 0, 0, 123456, tzinfo=plus_two)
    with Session(store_engine) as s, s.begin():
        s.add(AuditEvent(at=at, actor="t", event="e"))
    with Session(store_engine) as s:
        stored = s.exec(select(AuditEvent)).one().at
    assert stored == at
    assert stored.tzinfo == UTC and stored.hour == 12 and stored.microsecond == 123456


def test_naive_datetimes_are_refused(store_engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), Session(store_engine) as s:
        s.add(AuditEvent(at=datetime(2026, 1, 1), actor="t", event="e"))
        s.flush()


def test_seed_writes_default_matrix_once(store_engine: Engine) -> None:
    store = StoreService(store_engine, lambda: Session(store_engine))
    store.seed()
    with Session(store_engine) as s, s.begin():
        repo = RoleRepo(s)
        assert {r: repo.capabilities(r) for r in Role} == DEFAULT_MATRIX
        repo.revoke(Role.VIEWER, Capability.REPORTS_READ)
    store.seed()  # an edited matrix is kept, not re-seeded
    with Session(store_engine) as s:
        assert Capability.REPORTS_READ not in RoleRepo(s).capabilities(Role.VIEWER)
        assert s.exec(select(RoleCapability)).all()


def test_unreachable_mysql_names_host_and_port_and_hides_password() -> None:
    engine = create_engine_for("mysql+mysqldb://root:hunter2@127.0.0.1:1/ssop")
    with pytest.raises(StoreUnreachable) as err:
        check_reachable(engine)
    assert "127.0.0.1:1" in err.value.message
    assert "hunter2" not in err.value.message + (err.value.hint or "")


def test_malformed_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not valid"):
        create_engine_for("not a url at all")


def test_describe_hides_password() -> None:
    assert "hunter2" not in describe("mysql+mysqldb://root:hunter2@h:3306/db")


def test_missing_mysql_database_reads_as_empty_and_upgrade_creates_it() -> None:
    import uuid

    from sqlalchemy import text

    name = f"ssop_test_missing_{uuid.uuid4().hex[:8]}"
    engine = create_engine_for(f"mysql+mysqldb://root@127.0.0.1:3306/{name}")
    store = StoreService(engine, lambda: Session(engine))
    try:
        assert store.status().current is None
        assert store.upgrade().up_to_date
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


def test_migrations_build_exactly_the_models(store_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with store_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
