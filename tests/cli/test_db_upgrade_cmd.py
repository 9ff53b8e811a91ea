"""``ssop db upgrade`` is an admin's once the store has users; ``init`` leaves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ssop.core.models import AuditEvent, User
from ssop.core.store import migrate
from tests.cli.conftest import Cli, error_line


@pytest.fixture
def behind(store_engine: Engine) -> Iterator[Engine]:
    """The test store one migration behind; back at head afterwards, whatever."""
    command.downgrade(migrate._config(store_engine), "0005")
    yield store_engine
    migrate.upgrade(store_engine)


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        users = s.exec(select(func.count()).select_from(User)).one()
        audit = s.exec(select(func.count(AuditEvent.id))).one()  # type: ignore[arg-type]
        return int(users), int(audit)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ssop: error: ")]


def test_only_settings_write_upgrades_a_store_with_users(
    admin_cli: Cli, store_engine: Engine, tmp_path: Path
) -> None:
    token = admin_cli("token", "create", "ops", "--role", "operator").stdout.strip()
    users_before, _ = counts(store_engine)
    command.downgrade(migrate._config(store_engine), "0005")

    try:
        as_operator = admin_cli("db", "upgrade", SSOP_TOKEN=token)
        logged_out = admin_cli("db", "upgrade", XDG_STATE_HOME=str(tmp_path / "nobody"))
        still = migrate.current(store_engine)
        as_admin = admin_cli("db", "upgrade")
    finally:
        migrate.upgrade(store_engine)

    assert as_operator.exit_code == 4
    assert "lacks settings.write" in error_lines(as_operator.stderr)[0]
    assert logged_out.exit_code == 4
    assert "needs a login with settings.write" in error_lines(logged_out.stderr)[0]
    assert still == "0005"
    assert as_admin.exit_code == 0, as_admin.stderr
    assert migrate.current(store_engine) == migrate.head()
    assert counts(store_engine)[0] == users_before


def test_init_leaves_a_behind_schema_to_an_admin(
    admin_cli: Cli, behind: Engine
) -> None:
    result = admin_cli("init")
    assert result.exit_code == 1
    assert "already initialised" in error_line(result)
    assert "ssop db upgrade" in result.stderr
    assert migrate.current(behind) == "0005"


def test_a_store_without_users_needs_no_login(cli: Cli, store_engine: Engine) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert migrate.current(store_engine) == migrate.head()
