"""Run ``ssop`` in-process against the test store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ssop.cli import prompts
from ssop.cli.main import app


@dataclass
class Cli:
    env: dict[str, str]

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        runner = CliRunner()
        return runner.invoke(app, list(args), input=input, env={**self.env, **env})

    def at_terminal(self, *args: str, input: str) -> Result:
        """``ssop ARGS`` with a person at a terminal, typing ``input``."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(prompts, "can_ask", lambda: True)
            return self(*args, input=input)


@pytest.fixture
def cli(store_url: str, isolated_env: dict[str, str], tmp_path: Path) -> Cli:
    config = tmp_path / "ssop.toml"
    config.touch(mode=0o600)  # a named config file must exist
    env = dict(isolated_env, SSOP_DATABASE_URL=store_url, SSOP_CONFIG=str(config))
    return Cli(env)


ADMIN_PASSWORD = "Init-Secret-1"


def error_line(result: Result) -> str:
    """The one ``ssop: error:`` line a refused command prints on stderr."""
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("ssop: error: "), result.stderr
    return lines[0]


def session_path(cli: Cli) -> Path:
    return Path(cli.env["XDG_STATE_HOME"]) / "ssop" / "session"


def login(cli: Cli, name: str, password: str) -> Result:
    return cli("login", "--username", name, "--password-stdin", input=password + "\n")


@pytest.fixture
def admin_cli(cli: Cli) -> Cli:
    """``ssop init`` done (admin password: APP_INIT_SECRET), logged in as sysadmin."""
    result = cli("init", APP_INIT_SECRET=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    result = login(cli, "sysadmin", ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    return cli
