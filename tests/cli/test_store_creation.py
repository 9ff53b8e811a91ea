"""Only ``init``, ``quickstart`` and ``db upgrade`` create a store; every other
command on a mistyped SQLite path says so in one line and creates nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ssop.core.errors import ExitCode
from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line

READ_ONLY = [
    ("whoami",),
    ("server", "list"),
    ("user", "list"),
    ("executions", "list"),
    ("login", "--username", "sysadmin", "--password-stdin"),
]


@pytest.fixture
def typo(tmp_path: Path) -> Path:
    return tmp_path / "no" / "such" / "ssop.db"


@pytest.fixture
def cli(isolated_env: dict[str, str], tmp_path: Path, typo: Path) -> Cli:
    """SQLite only (the conftest's runs each test on both dialects): ``ssop``
    with a config file of its own and the store URL pointing at ``typo``."""
    config = tmp_path / "ssop.toml"
    config.touch()
    url = f"sqlite:///{typo}"
    return Cli(dict(isolated_env, SSOP_CONFIG=str(config), SSOP_DATABASE_URL=url))


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_read_only_command_on_a_mistyped_path_creates_nothing(
    cli: Cli, typo: Path, command: tuple[str, ...]
) -> None:
    result = cli(*command, input="pw\n")
    assert result.exit_code == ExitCode.ERROR
    assert error_line(result) == f"ssop: error: no store at {typo}"
    assert result.stderr.splitlines()[1:] == ["ssop: hint: run: ssop init"]
    assert not typo.parent.parent.exists()


def test_health_and_db_current_on_a_mistyped_path_create_nothing(
    cli: Cli, typo: Path
) -> None:
    assert cli("health").exit_code == ExitCode.ERROR
    assert cli("db", "current").stdout.startswith("empty")
    assert not typo.parent.parent.exists()


@pytest.mark.parametrize("command", [("init",), ("quickstart",), ("db", "upgrade")])
def test_setting_up_creates_the_file_0600_in_a_0700_folder(
    cli: Cli, typo: Path, command: tuple[str, ...]
) -> None:
    result = cli(*command, APP_INIT_SECRET=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(typo.stat().st_mode) == 0o600
    assert stat.S_IMODE(typo.parent.stat().st_mode) == 0o700
    assert cli("health").exit_code == 0
