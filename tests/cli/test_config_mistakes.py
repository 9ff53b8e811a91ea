"""Configuration mistakes fail loudly, in one ``ssop: error:`` line with a
hint and exit 2, and create nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssop.core.errors import ExitCode
from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line


@pytest.fixture
def bare(isolated_env: dict[str, str]) -> Cli:
    """``ssop`` with no config file and no store yet."""
    return Cli(dict(isolated_env))


def created_nothing(cli: Cli) -> bool:
    folders = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
    return not any(Path(cli.env[name]).exists() for name in folders)


@pytest.mark.parametrize("command", [("health",), ("config", "show"), ("whoami",)])
@pytest.mark.parametrize("named_by", ["--config", "SSOP_CONFIG"])
def test_a_named_config_file_that_does_not_exist(
    bare: Cli, tmp_path: Path, command: tuple[str, ...], named_by: str
) -> None:
    missing = tmp_path / "nope.toml"
    if named_by == "--config":
        result = bare("--config", str(missing), *command)
    else:
        result = bare(*command, SSOP_CONFIG=str(missing))
    assert result.exit_code == ExitCode.USAGE
    assert error_line(result) == (
        f"ssop: error: config file {missing} (named by {named_by}) does not exist"
    )
    assert result.stderr.splitlines()[1:] == [
        "ssop: hint: check the path; `ssop init` creates a new one"
    ]
    assert result.stdout == "" and created_nothing(bare)
    assert not missing.exists()


def test_init_creates_the_named_config_file(bare: Cli, tmp_path: Path) -> None:
    named = tmp_path / "etc" / "ssop.toml"
    result = bare("--config", str(named), "init", APP_INIT_SECRET=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert f"wrote config file {named}" in result.stdout
    assert bare("--config", str(named), "health").exit_code == 0


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (
            "notredis://x",
            "not a Redis URL: it must start redis://, rediss:// or unix://",
        ),
        ("redis://127.0.0.1:99999/0", "the port is not a number from 0 to 65535"),
        ("redis://:sekrit@127.0.0.1:6379/db", "the database (the path after"),
    ],
)
def test_a_redis_url_that_is_not_one(bare: Cli, url: str, why: str) -> None:
    result = bare("health", SSOP_REDIS_URL=url)
    assert result.exit_code == ExitCode.USAGE
    assert error_line(result).startswith(
        f"ssop: error: env SSOP_REDIS_URL: key redis.url: Value error, {why}"
    )
    assert result.stderr.splitlines()[1:] == ["ssop: hint: fix or unset SSOP_REDIS_URL"]
    assert "sekrit" not in result.output and "Traceback" not in result.output
    assert created_nothing(bare)


def test_a_bad_value_in_the_file_names_the_fix(bare: Cli, tmp_path: Path) -> None:
    config = tmp_path / "ssop.toml"
    config.write_text('[redis]\nurl = "http://127.0.0.1"\n')
    result = bare("health", SSOP_CONFIG=str(config))
    assert result.exit_code == ExitCode.USAGE
    assert f"ssop: hint: fix redis.url in {config}" in result.stderr
